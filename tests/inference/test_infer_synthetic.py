"""Tiny ONNX models built here that emit known tensors: exact decoding, recognition, NMS and batching."""

from __future__ import annotations

import numpy as np
import pytest
from onnx_builders import constant_model

from streampipe.errors import ModelError
from streampipe.inference import load_model

# An image of 128x64 (w x h) into a 64x64 centred letterbox: scale 0.5, 16 px of padding top and bottom.
IMG = np.zeros((64, 128, 3), np.uint8)


def to_orig(cx, cy, w, h):
    """Expected original-frame box for a network-space cx,cy,w,h under the letterbox above."""
    return [(cx - w / 2) / 0.5, (cy - h / 2 - 16) / 0.5, (cx + w / 2) / 0.5, (cy + h / 2 - 16) / 0.5]


ROWS = [  # cx, cy, w, h, score, class
    (32, 32, 20, 10, 0.9, 0),  # kept
    (33, 32, 20, 10, 0.8, 0),  # same class, IoU ~0.9 with the first -> suppressed
    (33, 32, 20, 10, 0.7, 2),  # other class, same place -> kept (NMS is per class)
    (10, 20, 8, 8, 0.2, 1),  # below conf 0.25 -> dropped
    (50, 40, 4, 6, 0.6, 1),  # kept
]


def v5_output():
    out = np.zeros((100, 5 + 3), np.float32)  # 100 anchors: not the 84-cell grid of a 64x64 input
    for i, (cx, cy, w, h, s, c) in enumerate(ROWS):
        out[i, :4] = cx, cy, w, h
        out[i, 4] = 1.0 if i != 4 else 0.75  # objectness
        out[i, 5 + c] = s if i != 4 else s / 0.75  # obj * cls == s
    return out


def check(dets):
    assert len(dets) == 3
    np.testing.assert_allclose(dets.scores, [0.9, 0.7, 0.6], atol=1e-6)
    np.testing.assert_array_equal(dets.class_ids, [0, 2, 1])
    for box, row in zip(dets.boxes, [ROWS[0], ROWS[2], ROWS[4]]):
        np.testing.assert_allclose(box, to_orig(*row[:4]), atol=1e-4)


def test_yolov5_style_decoded_exactly(tmp_path):
    path = constant_model(tmp_path / "v5.onnx", v5_output(), [1, 3, 64, 64])
    model = load_model(str(path))
    assert model.decoder_name == "yolov5" and model.labels == ()
    check(model.detect(IMG))
    assert model.detect(IMG).label(0) == "0"  # no labels -> numeric names


def test_yolov8_style_decoded_exactly(tmp_path):
    out = np.zeros((84, 4 + 3), np.float32)  # one column per stride-8/16/32 cell of a 64x64 input
    for i, (cx, cy, w, h, s, c) in enumerate(ROWS):
        out[i, :4] = cx, cy, w, h
        out[i, 4 + c] = s
    path = constant_model(tmp_path / "v8.onnx", out.T.copy(), [1, 3, 64, 64])  # [1, 4+C, N]
    model = load_model(str(path), labels=["a", "b", "c"])
    assert model.decoder_name == "yolov8"
    check(model.detect(IMG))
    filtered = load_model(str(path), labels=["a", "b", "c"], classes=["b"]).detect(IMG)
    assert filtered.to_records() == [{"label": "b", "class_id": 1, "score": 0.6,
                                      "box": [round(v, 1) for v in to_orig(*ROWS[4][:4])]}]


def test_conf_and_nms_overrides(tmp_path):
    path = constant_model(tmp_path / "v5.onnx", v5_output(), [1, 3, 64, 64])
    assert len(load_model(str(path), conf=0.1).detect(IMG)) == 4  # the 0.2 box now passes
    assert len(load_model(str(path), nms=0.95).detect(IMG)) == 4  # IoU 0.9 no longer suppresses


def test_classifier_topk_full_frame(tmp_path):
    logits = np.array([[0.0, 3.0, 1.0, 2.0, -1.0, 0.5, 0.1]], np.float32)[0]
    path = constant_model(tmp_path / "cls.onnx", logits, [1, 3, 32, 32])
    model = load_model(str(path))
    assert model.decoder_name == "classify"
    dets = model.detect(np.zeros((50, 80, 3), np.uint8))
    assert len(dets) == 5
    np.testing.assert_array_equal(dets.class_ids, [1, 3, 2, 5, 6])
    p = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(dets.scores, p[[1, 3, 2, 5, 6]], rtol=1e-5)
    np.testing.assert_allclose(dets.boxes, np.tile([0, 0, 80, 50], (5, 1)), atol=1e-4)


def test_dynamic_batch_partial_last_batch(tmp_path):
    path = constant_model(tmp_path / "v5.onnx", v5_output(), ["N", 3, 64, 64])
    model = load_model(str(path), batch=2, decoder="yolov5")
    results = model.detect_batch([IMG, IMG, IMG])  # 2 + 1
    assert len(results) == 3
    for dets in results:
        check(dets)
    tensors = np.concatenate([model.preprocess(IMG)[0]] * 3)
    outs = model.infer(tensors)
    assert outs[0].shape[0] == 3


def test_static_batch_padding_discarded(tmp_path):
    path = constant_model(tmp_path / "v5b2.onnx", v5_output(), [2, 3, 64, 64])
    model = load_model(str(path), batch=2, decoder="yolov5")
    assert model.input_spec.batch == 2
    outs = model.infer(np.concatenate([model.preprocess(IMG)[0]] * 3))  # padded to 4, 3 returned
    assert outs[0].shape[0] == 3
    assert len(model.detect_batch([IMG] * 3)) == 3
    check(model.detect(IMG))


def test_static_batch_one_refuses_batching(tmp_path):
    path = constant_model(tmp_path / "v5.onnx", v5_output(), [1, 3, 64, 64])
    with pytest.raises(ModelError, match="static batch size of 1"):
        load_model(str(path), batch=4)


def test_float16_input_model(tmp_path):
    from onnx import TensorProto

    path = constant_model(tmp_path / "v5h.onnx", v5_output(), [1, 3, 64, 64], in_dtype=TensorProto.FLOAT16)
    model = load_model(str(path))
    assert model.input_spec.dtype == "float16"
    assert model.preprocess(IMG)[0].dtype == np.float16
    check(model.detect(IMG))


def test_yolox_recognised_from_grid_count(tmp_path):
    """[1, N, 85] with N == 8x8+4x4+2x2 cells for a 64x64 input is YOLOX, not YOLOv5."""
    out = np.full((84, 85), -10.0, np.float32)
    out[:, 4] = 0.0
    out[9, :] = 0.0
    out[9, 2:4] = np.log(2.0)  # w = h = 2 * stride
    out[9, 4] = 0.9
    out[9, 5 + 7] = 1.0  # class 7 (truck) score 1.0 -> 0.9 overall
    path = constant_model(tmp_path / "yx.onnx", out, [1, 3, 64, 64])
    model = load_model(str(path))
    assert model.decoder_name == "yolox" and len(model.labels) == 80
    dets = model.detect(np.zeros((64, 64, 3), np.uint8))
    assert len(dets) == 1 and dets.label(0) == "truck"
    # cell 9 of the 8x8 stride-8 grid is (x=1, y=1): centre 8,8, size 16 -> [0, 0, 16, 16]
    np.testing.assert_allclose(dets.boxes[0], [0, 0, 16, 16], atol=1e-4)


def test_thread_sizing_and_spinning(tmp_path):
    from streampipe.inference import available_cpus, default_intra_op_threads
    from streampipe.inference.session import SessionConfig, session_options

    path = constant_model(tmp_path / "v5.onnx", v5_output(), [1, 3, 64, 64])
    assert load_model(str(path)).info()["intra_op_threads"] == available_cpus()
    assert load_model(str(path), busy_other_stages=1).info()["intra_op_threads"] == max(1, available_cpus() - 1)
    assert load_model(str(path), intra_op_threads=3).info()["intra_op_threads"] == 3
    assert default_intra_op_threads(busy_other_stages=99) == 1
    so = session_options(SessionConfig())
    assert so.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    so = session_options(SessionConfig(allow_spinning=True))
    assert so.get_session_config_entry("session.intra_op.allow_spinning") == "1"


def test_dynamic_size_model_is_probed(tmp_path):
    """Symbolic input size: one probe run at 640x640 shows 100 rows (not 8400 cells) -> yolov5."""
    path = constant_model(tmp_path / "v5dyn.onnx", v5_output(), ["N", 3, "H", "W"])
    model = load_model(str(path), input_size=(64, 64))
    assert model.decoder_name == "yolov5" and model.target_hw == (64, 64)
    check(model.detect(IMG))
    assert load_model(str(path)).target_hw == (640, 640)
