"""Bad models and bad devices fail at load time with one clear ModelError line; recognition rules."""

from __future__ import annotations

import logging

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from onnx_builders import constant_model

from streampipe.errors import ModelError
from streampipe.inference import load_model
from streampipe.inference.signature import TensorInfo, input_spec, recognise


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match="model file not found") as ei:
        load_model(str(tmp_path / "nope.onnx"))
    assert "nope.onnx" in str(ei.value) and "\n" not in str(ei.value)
    assert ei.value.exit_code == 2


def test_unknown_name_lists_catalog():
    with pytest.raises(ModelError, match="yolox-nano"):
        load_model("no-such-model")


def test_random_bytes(tmp_path):
    p = tmp_path / "junk.onnx"
    p.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(ModelError, match="junk.onnx: not an ONNX model"):
        load_model(str(p))


def test_rank2_input(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
    )
    p = tmp_path / "rank2.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(p))
    with pytest.raises(ModelError, match="rank2.onnx: unsupported input rank 2"):
        load_model(str(p))


def test_unrecognised_outputs_list_decoders(tmp_path):
    p = constant_model(tmp_path / "odd.onnx", np.zeros((2, 3, 4), np.float32), [1, 3, 32, 32])
    with pytest.raises(ModelError, match="no decoder recognises") as ei:
        load_model(str(p))
    for name in ("yolox", "yolov5", "yolov8", "ultraface", "yunet", "centerface", "classify"):
        assert name in str(ei.value)


def test_decoder_that_does_not_fit(tmp_path):
    p = constant_model(tmp_path / "odd.onnx", np.zeros((2, 3, 4), np.float32), [1, 3, 32, 32])
    with pytest.raises(ModelError, match="do not fit decoder 'yunet'"):
        load_model(str(p), decoder="yunet")
    with pytest.raises(ModelError, match="unknown decoder"):
        load_model(str(p), decoder="ssd")


def test_cuda_falls_back_with_warning(tmp_path, caplog):
    p = constant_model(tmp_path / "cls.onnx", np.zeros(5, np.float32), [1, 3, 32, 32])
    with caplog.at_level(logging.WARNING, logger="streampipe.inference"):
        model = load_model(str(p), device="cuda")
    assert model.providers == ["CPUExecutionProvider"]
    assert any("CUDAExecutionProvider" in r.getMessage() for r in caplog.records)
    with pytest.raises(ModelError, match="CUDAExecutionProvider not available"):
        load_model(str(p), device="cuda", device_strict=True)
    with pytest.raises(ModelError, match="unknown device"):
        load_model(str(p), device="tpu")


def test_unknown_class_name(tmp_path):
    p = constant_model(tmp_path / "cls.onnx", np.zeros(3, np.float32), [1, 3, 32, 32])
    with pytest.raises(ModelError, match="unknown class name"):
        load_model(str(p), labels=["a", "b", "c"], classes=["zebra"])


def test_detect_on_something_that_is_not_an_image_names_what_it_got(tmp_path):
    model = load_model(str(constant_model(tmp_path / "cls.onnx", np.zeros(3, np.float32), [1, 3, 32, 32])))
    with pytest.raises(TypeError, match="expected an image .* got NoneType"):  # cv2.imread of a bad path
        model.detect(None)
    with pytest.raises(TypeError, match=r"got ndarray\(0, 0, 3\)"):
        model.detect(np.zeros((0, 0, 3), np.uint8))


def test_static_size_mismatch(data):
    with pytest.raises(ModelError, match="fixed at 416x416"):
        load_model(str(data / "models" / "yolox_nano.onnx"), input_size=(640, 480))


def _out(name, *shape):
    return TensorInfo(name, tuple(shape), "float32")


SPEC = input_spec(_out("x", 1, 3, 640, 640))


@pytest.mark.parametrize(
    ("outputs", "hw", "expected"),
    [
        ([_out("output", 1, 3549, 85)], (416, 416), "yolox"),
        ([_out("output", 1, 8400, 85)], (640, 640), "yolox"),
        ([_out("output0", 1, 25200, 85)], (640, 640), "yolov5"),
        ([_out("output0", 1, 84, 8400)], (640, 640), "yolov8"),
        ([_out("output0", 1, 84, 8400)], None, "yolov8"),
        ([_out("output0", 1, 25200, 85)], None, None),  # size unknown: yolox or yolov5? ask
        ([_out("scores", 1, 4420, 2), _out("boxes", 1, 4420, 4)], (240, 320), "ultraface"),
        ([_out(n, 1, 1, None, None) for n in "abcd"], None, None),
        ([_out("537", 1, 1, 8, 8), _out("538", 1, 2, 8, 8), _out("539", 1, 2, 8, 8), _out("540", 1, 10, 8, 8)],
         None, "centerface"),
        ([_out(f"{k}_{s}", 1, None, 1) for k in ("cls", "obj", "bbox", "kps") for s in (8, 16, 32)], None, "yunet"),
        ([_out("logits", 1, 1000)], None, "classify"),
        ([_out("y", 1, 2, 3, 4)], None, None),
    ],
)
def test_recognise(outputs, hw, expected):
    assert recognise(outputs, SPEC, hw) == expected


def test_input_layouts():
    assert input_spec(_out("x", 1, 416, 416, 3)).layout == "NHWC"
    assert input_spec(_out("x", None, 3, None, None)).layout == "NCHW"
    spec = input_spec(TensorInfo("x", (1, 3, 64, 64), "float16"))
    assert spec.dtype == "float16" and spec.static_hw == (64, 64)
    with pytest.raises(ValueError, match="dtype"):
        input_spec(TensorInfo("x", (1, 3, 64, 64), "uint8"))


def test_forced_decoder_must_fit_the_real_output_layout(data):
    """yolox_nano's [1, 3549, 85] decoded as YOLOv8 gave scores of 3.55 and labels like "2719"."""
    path = str(data / "models" / "yolox_nano.onnx")
    with pytest.raises(ModelError, match=r"yolox_nano\.onnx: outputs do not fit decoder 'yolov8': "
                                         r"expected one output \[1, 4\+C, N\] with 4\+C < N, got output\[1, 3549, 85\]"):
        load_model(path, decoder="yolov8")
    for wrong in ("centerface", "classify", "yunet", "ultraface"):  # never a traceback, never garbage
        with pytest.raises(ModelError, match=f"yolox_nano.onnx: outputs do not fit decoder '{wrong}'"):
            load_model(path, decoder=wrong)
    assert load_model(path, decoder="yolox").decoder_name == "yolox"  # the grid of 416x416 is 3549 rows


@pytest.mark.parametrize(
    ("shape", "decoder", "problem"),
    [
        ((7, 84), "yolov5", r"\[1, N, 5\+C\] with N > 5\+C, got output\[1, 7, 84\]"),  # a v8 head
        ((7, 84), "yolox", r"N = 84 stride-8/16/32 grid cells for a 64x64 input, got output\[1, 7, 84\]"),
        ((100, 8), "yolov8", r"\[1, 4\+C, N\] with 4\+C < N, got output\[1, 100, 8\]"),  # a v5 head
        ((100, 8), "yolox", r"N = 84 stride-8/16/32 grid cells for a 64x64 input, got output\[1, 100, 8\]"),
        ((3, 84), "yolov8", r"\[1, 4\+C, N\] with 4\+C < N"),  # no class column
        ((100, 5), "yolov5", r"\[1, N, 5\+C\] with N > 5\+C"),  # no class column
        ((10,), "yolov8", r"expected one output \[1, 4\+C, N\]"),  # a classifier
        ((100, 8), "classify", r"expected one output \[1, C\]"),
    ],
)
def test_forced_decoder_layout_mismatch(tmp_path, shape, decoder, problem):
    p = constant_model(tmp_path / "m.onnx", np.zeros(shape, np.float32), [1, 3, 64, 64])
    with pytest.raises(ModelError, match=f"m.onnx: outputs do not fit decoder '{decoder}': .*{problem}") as ei:
        load_model(str(p), decoder=decoder)
    assert "\n" not in str(ei.value)


@pytest.mark.parametrize(("shape", "decoder"), [((84, 8), "yolox"), ((100, 8), "yolov5"), ((7, 84), "yolov8")])
def test_forced_decoder_that_fits_is_accepted(tmp_path, shape, decoder):
    p = constant_model(tmp_path / "m.onnx", np.zeros(shape, np.float32), [1, 3, 64, 64])
    model = load_model(str(p), decoder=decoder)
    assert model.decoder_name == decoder and len(model.detect(np.zeros((64, 64, 3), np.uint8))) == 0


@pytest.mark.parametrize("size", [(0, 0), (16, 640), (640, 31), (5000, 480), (640, 4097), (-32, 64)])
def test_input_size_out_of_range_is_refused(data, size):
    """(0, 0) used to load, and YuNet then found 0 faces in every frame without a word."""
    with pytest.raises(ModelError, match=rf"yunet_n_dynamic\.onnx: input size {size[0]}x{size[1]} is out of range; "
                                         r"each side must be 32\.\.4096 pixels") as ei:
        load_model(str(data / "models" / "yunet_n_dynamic.onnx"), input_size=size)
    assert ei.value.exit_code == 2 and "\n" not in str(ei.value)
    with pytest.raises(ModelError, match="input size 8x8 is out of range"):
        load_model(None, input_size=(8, 8))  # the default CenterFace, refused before anything loads


def test_input_size_limits_are_inclusive(data, image):
    model = load_model(str(data / "models" / "yunet_n_dynamic.onnx"), input_size=(32, 32))
    assert model.target_hw == (32, 32)
    model.detect(image("astronaut.png"))  # runs (a 32x32 cap finds nothing, but it is the user's choice)
    assert load_model(str(data / "models" / "yunet_n_dynamic.onnx"), input_size=(4096, 32)).target_hw == (32, 4096)
