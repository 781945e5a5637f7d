"""What a model takes and what it emits: the input spec and decoder recognition from output signatures.

Recognition is deliberately conservative: a model is only matched to a decoder when its outputs leave no
doubt (names, counts and shapes); anything else must be named with ``decoder=`` so we never silently
decode garbage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Dim = int | str | None  # static size, symbolic name, or unknown

DECODER_NAMES = ("yolox", "yolov5", "yolov8", "ultraface", "yunet", "centerface", "classify")

# onnx.TensorProto element types, by value: importing onnx costs ~1 s at start-up (see repair_cache).
_ONNX_DTYPES = {1: "float32", 10: "float16", 2: "uint8", 11: "float64"}
_ORT_DTYPES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(uint8)": "uint8"}


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """Name, shape (ints where static) and dtype of one graph input or output."""

    name: str
    shape: tuple[Dim, ...]
    dtype: str

    @staticmethod
    def from_proto(vi: object) -> TensorInfo:
        """From an ``onnx.ValueInfoProto``."""
        tt = vi.type.tensor_type  # type: ignore[attr-defined]
        dims: list[Dim] = []
        for d in tt.shape.dim:
            dims.append(d.dim_value if d.HasField("dim_value") else (d.dim_param or None))
        return TensorInfo(vi.name, tuple(dims), _ONNX_DTYPES.get(tt.elem_type, str(tt.elem_type)))  # type: ignore[attr-defined]

    @staticmethod
    def from_ort(arg: object) -> TensorInfo:
        shape = tuple(d if isinstance(d, int) else (d or None) for d in arg.shape)  # type: ignore[attr-defined]
        return TensorInfo(arg.name, shape, _ORT_DTYPES.get(arg.type, arg.type))  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class InputSpec:
    """The image input: layout NCHW or NHWC, dtype, and which of batch/H/W are fixed (None = dynamic)."""

    name: str
    layout: str
    dtype: str
    batch: int | None
    height: int | None
    width: int | None
    channels: int = 3

    @property
    def numpy_dtype(self) -> np.dtype:
        return np.dtype(self.dtype)

    @property
    def static_hw(self) -> tuple[int, int] | None:
        return (self.height, self.width) if self.height and self.width else None

    def shape(self) -> list[Dim]:
        b, h, w = self.batch or "batch", self.height or "H", self.width or "W"
        return [b, self.channels, h, w] if self.layout == "NCHW" else [b, h, w, self.channels]


def input_spec(info: TensorInfo) -> InputSpec:
    """Build the spec from the single image input; raises ``ValueError`` when it is not an image input."""
    if len(info.shape) != 4:
        raise ValueError(
            f"unsupported input rank {len(info.shape)} for {info.name!r} {list(info.shape)}; "
            "expected an image tensor [N,C,H,W] or [N,H,W,C]"
        )
    if info.dtype not in ("float32", "float16"):
        raise ValueError(f"unsupported input dtype {info.dtype} for {info.name!r}; need float32 or float16")
    b, d1, d2, d3 = (d if isinstance(d, int) and d > 0 else None for d in info.shape)
    if d1 in (1, 3) or (d1 is None and d3 not in (1, 3)):
        return InputSpec(info.name, "NCHW", info.dtype, b, d2, d3, d1 or 3)
    return InputSpec(info.name, "NHWC", info.dtype, b, d1, d2, d3 or 3)


def yolo_grid_count(h: int, w: int, strides: Sequence[int] = (8, 16, 32)) -> int:
    """Anchor-free grid cells over the strides (YOLOX: 52*52+26*26+13*13 = 3549 at 416)."""
    return sum((h // s) * (w // s) for s in strides)


def _static(shape: tuple[Dim, ...]) -> bool:
    return all(isinstance(d, int) and d > 0 for d in shape)


def recognise(outputs: Sequence[TensorInfo], spec: InputSpec, hw: tuple[int, int] | None) -> str | None:
    """Decoder name for these outputs, or None when the signature is ambiguous or unknown.

    ``hw`` is the network input size when known (static input or a probe run); it separates YOLOX
    (one row per stride-8/16/32 grid cell) from YOLOv5-style anchor outputs of the same width.
    """
    names = {o.name for o in outputs}
    heads = {f"{k}_{s}" for k in ("cls", "obj", "bbox", "kps") for s in (8, 16, 32)}
    if heads <= names:
        return "yunet"
    if {"scores", "boxes"} <= names and len(outputs) == 2:
        by = {o.name: o.shape for o in outputs}
        if by["scores"][-1:] == (2,) and by["boxes"][-1:] == (4,):
            return "ultraface"
    if len(outputs) == 4 and all(len(o.shape) == 4 for o in outputs) and [o.shape[1] for o in outputs] == [1, 2, 2, 10]:
        return "centerface"
    if len(outputs) != 1:
        return None
    shape = outputs[0].shape
    if len(shape) == 2 and isinstance(shape[1], int) and shape[1] > 1:
        return "classify"
    if len(shape) != 3 or not _static(shape[1:]):
        return None
    d1, d2 = int(shape[1]), int(shape[2])  # type: ignore[arg-type]
    cells = yolo_grid_count(*hw) if hw is not None else None
    if cells is not None and d1 == cells and d2 >= 6:  # [1, cells, 5+C]
        return "yolox"
    if cells is not None and d2 == cells and d1 >= 5:  # [1, 4+C, cells]: anchor-free v8/v11 head
        return "yolov8"
    if d1 > d2 >= 6:  # [1, N, 5+C] with N anchors (3 per cell for YOLOv5)
        return "yolov5" if hw is not None else None
    if d2 > d1 >= 5:  # [1, 4+C, N]
        return "yolov8"
    return None
