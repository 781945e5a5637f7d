"""Per-class non-maximum suppression via OpenCV (C++, releases the GIL, float ``Rect2d`` boxes)."""

from __future__ import annotations

import cv2
import numpy as np


def nms(
    boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou: float, max_det: int = 300
) -> np.ndarray:
    """Indices kept, best score first. ``boxes`` are x1,y1,x2,y2; suppression never crosses classes.

    Empty input returns an empty index array rather than OpenCV's empty tuple, so callers can index
    unconditionally.
    """
    if len(scores) == 0:
        return np.zeros((0,), np.int64)
    xywh = np.asarray(boxes, np.float64).copy()
    xywh[:, 2:] -= xywh[:, :2]
    scores = np.asarray(scores, np.float32)
    if np.all(class_ids == class_ids[0]):
        keep = cv2.dnn.NMSBoxes(xywh, scores, 0.0, float(iou), top_k=max_det)
    else:
        keep = cv2.dnn.NMSBoxesBatched(
            xywh, scores, np.asarray(class_ids, np.int32), 0.0, float(iou), top_k=max_det
        )
    return np.asarray(keep, np.int64).reshape(-1)
