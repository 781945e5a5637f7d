"""The two values that travel through a video pipeline: ``Frame`` and ``Detections``.

Both are immutable by convention: a stage that adds results returns a new ``Frame`` via
:meth:`Frame.with_` instead of mutating the one it received, so a frame can be observed by a
preview sink while the next stage works on its successor without races.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class Detections:
    """Detector output in original-frame pixels.

    ``boxes`` is float32 [N, 4] as x1, y1, x2, y2; ``scores`` float32 [N]; ``class_ids`` int32 [N];
    ``keypoints`` float32 [N, K, 2] or None; ``labels`` maps a class id to its name (may be empty).
    """

    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    keypoints: np.ndarray | None = None
    labels: Sequence[str] = ()

    @staticmethod
    def empty(labels: Sequence[str] = (), num_keypoints: int | None = None) -> Detections:
        kps = None if num_keypoints is None else np.zeros((0, num_keypoints, 2), np.float32)
        return Detections(
            boxes=np.zeros((0, 4), np.float32),
            scores=np.zeros((0,), np.float32),
            class_ids=np.zeros((0,), np.int32),
            keypoints=kps,
            labels=labels,
        )

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    def label(self, i: int) -> str:
        """Name of detection ``i``'s class, or its numeric id when the model ships no labels."""
        cid = int(self.class_ids[i])
        return self.labels[cid] if 0 <= cid < len(self.labels) else str(cid)

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready list: label, class_id, score, box [x1, y1, x2, y2] (and keypoints if any)."""
        out = []
        for i in range(len(self)):
            rec: dict[str, Any] = {
                "label": self.label(i),
                "class_id": int(self.class_ids[i]),
                "score": round(float(self.scores[i]), 4),
                "box": [round(float(v), 1) for v in self.boxes[i]],
            }
            if self.keypoints is not None:
                rec["keypoints"] = [[round(float(x), 1), round(float(y), 1)] for x, y in self.keypoints[i]]
            out.append(rec)
        return out


@dataclass(frozen=True, slots=True)
class Frame:
    """One video frame and what the pipeline learned about it.

    ``index`` counts frames read from the source (0-based; a camera-side drop leaves a gap),
    ``pts`` is the presentation time in seconds from the container (None when unknown),
    ``t_capture`` is ``time.perf_counter()`` when the frame was read, ``image`` is 8-bit BGR HxWx3.
    """

    index: int
    image: np.ndarray
    pts: float | None
    t_capture: float
    source_id: str = ""
    detections: Detections | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    def with_(self, **changes: Any) -> Frame:
        """A copy with some fields replaced (the frozen-dataclass way to attach results)."""
        return dataclasses.replace(self, **changes)
