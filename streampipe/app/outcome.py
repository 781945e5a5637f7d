"""How a job ended, in words and numbers: exit codes, one-line errors, the report's ``failure``."""

from __future__ import annotations

import signal
from typing import Any

from ..engine import StageError
from ..errors import StreampipeError


def exit_code_for(error: BaseException) -> int:
    """1 for failures while running, the error's own code for streampipe errors."""
    cause = error.__cause__ if isinstance(error, StageError) and error.__cause__ else error
    if isinstance(cause, StreampipeError):
        return 1 if isinstance(error, StageError) else cause.exit_code
    return 1


def describe_error(error: BaseException) -> str:
    """One line: for a stage failure, the stage and frame, then the original message."""
    if isinstance(error, StageError):
        cause = error.__cause__
        text = f"{type(cause).__name__}: {cause}" if not isinstance(cause, StreampipeError) else str(cause)
        where = f"frame {error.index}" if error.index is not None else "start/stop"
        return f"{error.stage} failed at {where}: {text}"
    return str(error) or type(error).__name__


def failure_details(error: BaseException | None) -> dict[str, Any] | None:
    """Where a failure happened, for scripts: stage, frame, exception type, and the output file
    when an output failed (``Fanout`` tags the exception with the failing sink's path)."""
    if error is None:
        return None
    stage = getattr(error, "stage", None)
    cause = error.__cause__ if stage is not None and error.__cause__ is not None else error
    output = getattr(cause, "output", None)
    return {"stage": stage, "frame": getattr(error, "index", None), "type": type(cause).__name__,
            "output": output}


def interrupted_text(signum: int | None) -> str:
    try:
        return f"interrupted by {signal.Signals(signum or signal.SIGINT).name}"
    except ValueError:
        return f"interrupted by signal {signum}"
