"""Errors raised by the engine itself."""

from __future__ import annotations


class StageError(RuntimeError):
    """A stage failed on an item; the original exception is ``__cause__``.

    Carries the stage name and the item's sequence number (its position in the source order),
    so the caller can say "inference failed at frame 412" without digging through logs.
    """

    def __init__(self, stage: str, index: int | None, cause: BaseException) -> None:
        where = f"item {index}" if index is not None else "start-up/shutdown"
        super().__init__(f"stage {stage!r} failed at {where}: {type(cause).__name__}: {cause}")
        self.stage = stage
        self.index = index
        self.__cause__ = cause

    @property
    def original(self) -> BaseException:
        return self.__cause__  # type: ignore[return-value]


class ShutdownTimeout(RuntimeError):
    """Threads did not stop within the shutdown bound (a stage ignored the stop request)."""
