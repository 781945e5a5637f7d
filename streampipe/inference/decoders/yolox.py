"""YOLOX (Megvii) raw grid output ``[1, N, 5+C]``, N = cells over strides 8/16/32.

Exports made with ``decode_in_inference=False`` (the official ONNX files) emit per-cell offsets:
xy = (p + grid) * stride, wh = exp(p) * stride, score = objectness * class score. Preprocessing is the
official demo's: letterbox into the top-left corner, pad 114, BGR, 0..255, no normalisation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..preprocess import LETTERBOX_TL, Plan, PreprocessMeta
from ..signature import yolo_grid_count
from .base import Candidates, Decoder, best_class, check_n_by_5c, describe, single_rank3

STRIDES = (8, 16, 32)


def make_grid(h: int, w: int, strides: Sequence[int] = STRIDES) -> tuple[np.ndarray, np.ndarray]:
    """(cell xy [N,2], stride [N,1]) in the row-major order YOLOX concatenates its heads."""
    grids, scales = [], []
    for s in strides:
        gy, gx = np.meshgrid(np.arange(h // s), np.arange(w // s), indexing="ij")
        grids.append(np.stack((gx, gy), axis=-1).reshape(-1, 2))
        scales.append(np.full((grids[-1].shape[0], 1), s))
    return np.concatenate(grids).astype(np.float32), np.concatenate(scales).astype(np.float32)


class YoloxDecoder(Decoder):
    name = "yolox"
    plan = Plan(LETTERBOX_TL, rgb=False, pad_value=114.0)
    default_conf = 0.3
    default_nms = 0.45
    default_size = (416, 416)
    LAYOUT = "[1, N, 5+C] with N > 5+C"

    def __init__(self, outputs, input_hw=None):
        """With the input size known, N must be its stride-8/16/32 grid cell count (exact, and right
        also for tiny inputs where N < 5+C); without it, N > 5+C as for YOLOv5."""
        super().__init__(outputs, input_hw)
        if input_hw is None:
            check_n_by_5c(self.outputs, self.LAYOUT)
        else:
            n, width = single_rank3(self.outputs, self.LAYOUT)
            cells = yolo_grid_count(*input_hw)
            if (width is not None and width < 6) or (n is not None and n != cells):
                h, w = input_hw
                raise ValueError(
                    f"expected one output [1, N, 5+C] with N = {cells} stride-8/16/32 grid cells for a "
                    f"{w}x{h} input, got {describe(self.outputs)}"
                )
        self._grids: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def num_classes(self) -> int | None:
        last = self.outputs[0].shape[-1]
        return last - 5 if isinstance(last, int) else None

    def decode(self, outs, meta: PreprocessMeta, conf: float) -> Candidates:
        p = np.asarray(outs[0], np.float32)
        if p.ndim != 2 or p.shape[1] < 6:
            raise ValueError(f"yolox: output {list(p.shape)} is not {self.LAYOUT}")
        key = (meta.in_h, meta.in_w)
        grid = self._grids.get(key)
        if grid is None:  # benign race: two threads may both build it; the result is identical
            grid = self._grids.setdefault(key, make_grid(*key))
        cells, stride = grid
        if len(cells) != len(p):
            raise ValueError(f"yolox: output has {len(p)} rows but a {key} input has {len(cells)} grid cells")
        obj = p[:, 4]
        pre = obj >= conf
        p, cells, stride = p[pre], cells[pre], stride[pre]
        boxes = np.empty((len(p), 4), np.float32)
        boxes[:, :2] = (p[:, :2] + cells) * stride
        boxes[:, 2:] = np.exp(p[:, 2:4]) * stride
        return best_class(boxes, p[:, 5:], p[:, 4], conf)
