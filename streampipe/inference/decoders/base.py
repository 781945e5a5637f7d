"""The decoder interface: raw output tensors for ONE image -> candidate boxes in tensor pixels.

A decoder knows its family's preprocessing (``plan``), sensible defaults, and how to read its outputs.
NMS, mapping back to the original frame and class filtering are shared (``streampipe.inference.model``),
so each family module stays a few vectorised numpy lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..preprocess import LETTERBOX, Plan, PreprocessMeta
from ..signature import TensorInfo


@dataclass(frozen=True, slots=True)
class Candidates:
    """Pre-NMS detections in network-input pixels (x1, y1, x2, y2)."""

    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    keypoints: np.ndarray | None = None

    @staticmethod
    def empty(num_keypoints: int | None = None) -> Candidates:
        kps = None if num_keypoints is None else np.zeros((0, num_keypoints, 2), np.float32)
        return Candidates(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), np.zeros((0,), np.int32), kps)


class Decoder:
    """Base class; subclasses set the class attributes and implement :meth:`decode`."""

    name: ClassVar[str]
    plan: ClassVar[Plan]
    default_conf: ClassVar[float] = 0.3
    default_nms: ClassVar[float] = 0.45
    default_size: ClassVar[tuple[int, int] | None] = (640, 640)  # (H, W) when the input is dynamic
    default_labels: ClassVar[tuple[str, ...] | None] = None
    num_keypoints: ClassVar[int | None] = None
    uses_nms: ClassVar[bool] = True

    def __init__(self, outputs: Sequence[TensorInfo], input_hw: tuple[int, int] | None = None) -> None:
        """Bind to ``outputs``; raise ``ValueError`` when they cannot be this family's (``input_hw``: the
        network's static input size when it has one, for checks that depend on it)."""
        self.outputs = list(outputs)

    def num_classes(self) -> int | None:
        """Classes the output encodes when the shapes say so (used to pick default labels)."""
        return None

    def decode(self, outs: Sequence[np.ndarray], meta: PreprocessMeta, conf: float) -> Candidates:
        raise NotImplementedError

    def index_of(self, name: str) -> int:
        for i, o in enumerate(self.outputs):
            if o.name == name:
                return i
        raise ValueError(f"output {name!r} not found (outputs: {[o.name for o in self.outputs]})")


def single_rank3(outputs: Sequence[TensorInfo], layout: str) -> tuple[int | None, int | None]:
    """(d1, d2) of the only output ``[1, d1, d2]`` (None where dynamic); ``ValueError`` naming ``layout``
    (what the family expects) when there is not exactly one rank-3 output."""
    if len(outputs) != 1 or len(outputs[0].shape) != 3:
        raise ValueError(f"expected one output {layout}, got {describe(outputs)}")
    d1, d2 = outputs[0].shape[1:]
    return (d1 if isinstance(d1, int) and d1 > 0 else None), (d2 if isinstance(d2, int) and d2 > 0 else None)


def check_n_by_5c(outputs: Sequence[TensorInfo], layout: str) -> tuple[int | None, int | None]:
    """The YOLOv5/YOLOX layout ``[1, N, 5+C]``, C >= 1, N > 5+C (where static); returns (N, 5+C)."""
    n, width = single_rank3(outputs, layout)
    if (width is not None and width < 6) or (n is not None and width is not None and n <= width):
        raise ValueError(f"expected one output {layout}, got {describe(outputs)}")
    return n, width


def describe(outputs: Sequence[TensorInfo]) -> str:
    return ", ".join(f"{o.name}{list(o.shape)}" for o in outputs)


def cxcywh_to_xyxy(b: np.ndarray) -> np.ndarray:
    out = np.empty_like(b, dtype=np.float32)
    half = b[:, 2:4] * 0.5
    out[:, :2] = b[:, :2] - half
    out[:, 2:] = b[:, :2] + half
    return out


def best_class(
    boxes_cxcywh: np.ndarray, cls_scores: np.ndarray, obj: np.ndarray | None, conf: float
) -> Candidates:
    """Each row's best class; score = obj * cls (or cls alone). Filters by ``obj`` first as a cheap cut."""
    if obj is not None:
        pre = obj >= conf  # obj * cls <= obj, so rows below conf here can never pass
        boxes_cxcywh, cls_scores, obj = boxes_cxcywh[pre], cls_scores[pre], obj[pre]
    ids = cls_scores.argmax(axis=1)
    scores = cls_scores[np.arange(len(ids)), ids]
    if obj is not None:
        scores = scores * obj
    keep = scores >= conf
    return Candidates(
        cxcywh_to_xyxy(boxes_cxcywh[keep]), scores[keep].astype(np.float32), ids[keep].astype(np.int32)
    )


class UltralyticsDecoder(Decoder):
    """Shared by the YOLOv5 and YOLOv8/11 exports: Ultralytics preprocessing and thresholds.

    Centred letterbox, pad 114, RGB, /255 -- what ``ultralytics`` itself feeds these models.
    """

    plan = Plan(LETTERBOX, rgb=True, std=(255.0, 255.0, 255.0), pad_value=114.0)
    default_conf = 0.25
    default_nms = 0.45
    default_size = (640, 640)
