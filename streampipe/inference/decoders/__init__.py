"""Decoder registry: one module per model family, looked up by the names users pass as ``--decoder``."""

from __future__ import annotations

from collections.abc import Sequence

from ..signature import DECODER_NAMES, TensorInfo
from .base import Candidates, Decoder
from .centerface import CenterfaceDecoder
from .classify import ClassifyDecoder
from .ultraface import UltrafaceDecoder
from .yolov5 import Yolov5Decoder
from .yolov8 import Yolov8Decoder
from .yolox import YoloxDecoder
from .yunet import YunetDecoder

DECODERS: dict[str, type[Decoder]] = {
    d.name: d
    for d in (
        YoloxDecoder,
        Yolov5Decoder,
        Yolov8Decoder,
        UltrafaceDecoder,
        YunetDecoder,
        CenterfaceDecoder,
        ClassifyDecoder,
    )
}
assert tuple(DECODERS) == DECODER_NAMES


def create(name: str, outputs: Sequence[TensorInfo], input_hw: tuple[int, int] | None = None) -> Decoder:
    """Instantiate decoder ``name`` bound to these outputs (raises ``ValueError`` if they don't fit).

    ``input_hw`` is the network's static input size (H, W), when it has one: YOLOX checks its row count
    against the stride-8/16/32 grid of that size."""
    return DECODERS[name](outputs, input_hw)


__all__ = ["DECODERS", "Candidates", "Decoder", "create"]
