"""Source wrappers the application adds on top of the video layer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..frame import Frame


class LimitedSource:
    """Stops after ``limit`` frames (``--max-frames``) while keeping the source's interface.

    It ends the stream (the pipeline drains normally and the output is complete) rather than
    stopping the pipeline, so the last frames are not lost.
    """

    def __init__(self, source: Any, limit: int) -> None:
        if limit < 0:
            raise ValueError("max frames must be >= 0")
        self.source = source
        self.limit = limit
        self.info = source.info
        self.default_policy = source.default_policy

    def __iter__(self) -> Iterator[Frame]:
        if self.limit == 0:
            return
        for n, frame in enumerate(self.source, start=1):
            yield frame
            if n >= self.limit:
                return

    def interrupt(self) -> None:
        self.source.interrupt()

    def close(self) -> None:
        self.source.close()

    def stats(self) -> dict[str, Any]:
        return self.source.stats()
