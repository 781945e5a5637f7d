"""YOLOX-Nano rewritten with a float16 input and an NHWC input; one session shared by four threads."""

from __future__ import annotations

import threading

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from streampipe.inference import load_model

FRAMES = ["astronaut.png", "coffee.png", "coco_000000000785.jpg", "coco_000000000139.jpg"]


def _rewire(model: onnx.ModelProto, new_input, node, internal: str) -> onnx.ModelProto:
    """Put ``node`` (new input -> ``internal``) in front of the graph and point consumers at it."""
    old = model.graph.input[0].name
    for n in model.graph.node:
        for i, name in enumerate(n.input):
            if name == old:
                n.input[i] = internal
    del model.graph.input[:]
    model.graph.input.extend([new_input])
    model.graph.node.insert(0, node)
    node.input[0] = new_input.name
    return model


@pytest.fixture(scope="module")
def variants(data, tmp_path_factory):
    src = str(data / "models" / "yolox_nano.onnx")
    d = tmp_path_factory.mktemp("variants")
    fp16 = _rewire(
        onnx.load(src),
        helper.make_tensor_value_info("images_h", TensorProto.FLOAT16, [1, 3, 416, 416]),
        helper.make_node("Cast", ["images_h"], ["images_f32"], to=TensorProto.FLOAT),
        "images_f32",
    )
    nhwc = _rewire(
        onnx.load(src),
        helper.make_tensor_value_info("images_nhwc", TensorProto.FLOAT, [1, 416, 416, 3]),
        helper.make_node("Transpose", ["images_nhwc"], ["images_nchw"], perm=[0, 3, 1, 2]),
        "images_nchw",
    )
    onnx.save(fp16, str(d / "fp16.onnx"))
    onnx.save(nhwc, str(d / "nhwc.onnx"))
    return {"fp16": load_model(str(d / "fp16.onnx")), "nhwc": load_model(str(d / "nhwc.onnx"))}


@pytest.mark.parametrize("kind", ["fp16", "nhwc"])
def test_variant_matches_original(variants, yolox, image, kind):
    model = variants[kind]
    assert model.decoder_name == "yolox"
    spec = model.input_spec
    assert (spec.layout, spec.dtype) == (("NCHW", "float16") if kind == "fp16" else ("NHWC", "float32"))
    tensor, _ = model.preprocess(image("coffee.png"))
    assert tensor.shape == ((1, 3, 416, 416) if kind == "fp16" else (1, 416, 416, 3))
    for name in FRAMES:
        ref, got = yolox.detect(image(name)), model.detect(image(name))
        assert len(got) == len(ref), name
        np.testing.assert_array_equal(got.class_ids, ref.class_ids)
        np.testing.assert_allclose(got.boxes, ref.boxes, atol=0.5)
        np.testing.assert_allclose(got.scores, ref.scores, atol=1e-3)


@pytest.mark.timeout(60)
def test_shared_session_four_threads_identical(yolox, image):
    frames = [image(n) for n in FRAMES] * 3
    serial = [yolox.detect(f) for f in frames]
    results: list[list] = [[] for _ in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work(k: int) -> None:
        try:
            barrier.wait(timeout=10)
            for f in frames[k:] + frames[:k]:  # each thread starts at a different frame
                results[k].append(yolox.detect(f))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,), name=f"infer-{k}") for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=50)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors
    for k in range(4):
        rotated = serial[k:] + serial[:k]
        for got, ref in zip(results[k], rotated):
            np.testing.assert_array_equal(got.boxes, ref.boxes)
            np.testing.assert_array_equal(got.scores, ref.scores)
            np.testing.assert_array_equal(got.class_ids, ref.class_ids)


def test_clone_has_its_own_session(yolox, image):
    twin = yolox.clone()
    assert twin._session is not yolox._session
    np.testing.assert_array_equal(twin.detect(image("coffee.png")).boxes, yolox.detect(image("coffee.png")).boxes)


def test_yunet_batch_of_same_size_frames(face_models, image):
    """Dynamic-batch YuNet: detect_batch stacks frames and matches per-frame detection."""
    yunet = face_models["yunet"]
    assert yunet.input_spec.batch is None
    batched = load_model(yunet.path, batch=3)
    frames = [image("astronaut.png"), image("astronaut.png")[:, ::-1].copy(), image("astronaut.png")]
    for got, f in zip(batched.detect_batch(frames), frames):
        ref = yunet.detect(f)
        np.testing.assert_allclose(got.boxes, ref.boxes, atol=1e-3)
