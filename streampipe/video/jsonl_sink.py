"""Detections as JSON Lines: one object per frame, flushed per line so a crash loses nothing.

Line format: ``{"index": 0, "pts": 0.0, "detections": [{"label", "class_id", "score", "box"...}]}``
(``pts`` is null when the source has no time; ``detections`` is ``[]`` when nothing ran).
Flushing hands each line to the OS at once: a killed process keeps every line it wrote; only a
power loss could lose the last lines (no fsync per frame; that would cost milliseconds each).
"""

from __future__ import annotations

import json
import os
from typing import IO, TYPE_CHECKING

from streampipe.errors import SinkError
from streampipe.frame import Frame
from streampipe.video.output import open_output_check

if TYPE_CHECKING:
    from typing_extensions import Self


class JsonlSink:
    """Stage-protocol sink: ``open()``, ``process(frame) -> frame``, ``close()`` (idempotent)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = open_output_check(path)
        self._fh: IO[str] | None = None
        self.frames_written = 0
        self._good_size = 0  # bytes of complete lines; a failed write is cut back to this
        self._failed = False

    def open(self) -> None:
        if self._fh is None:
            try:
                self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
            except OSError as e:
                raise SinkError(f"{self.path}: cannot open for writing ({e.strerror})") from e

    def process(self, frame: Frame) -> Frame:
        if self._failed:
            raise SinkError(f"{self.path}: write after an earlier failure (frame {frame.index})")
        if self._fh is None:
            self.open()
        assert self._fh is not None
        record = {
            "index": frame.index,
            "pts": None if frame.pts is None else round(frame.pts, 6),
            "detections": frame.detections.to_records() if frame.detections is not None else [],
        }
        line = json.dumps(record, separators=(",", ":")) + "\n"
        try:
            self._fh.write(line)
            self._fh.flush()
        except OSError as e:
            self._cut_partial_line()
            raise SinkError(f"{self.path}: write failed at frame {frame.index} ({e.strerror})") from e
        self._good_size += len(line)  # json.dumps escapes non-ASCII: characters are bytes
        self.frames_written += 1
        return frame

    def _cut_partial_line(self) -> None:
        """After a failed write (a full disk), drop the half line so every line stays parseable."""
        fh, self._fh = self._fh, None
        self._failed = True
        if fh is None:
            return
        try:
            fh.close()  # may fail again flushing the rest: the truncate below removes it anyway
        except OSError:
            pass
        try:
            os.truncate(self.path, self._good_size)
        except OSError:
            pass  # a device or pipe (``/dev/full``) cannot be truncated; nothing more to save

    def close(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            fh.close()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
