"""Error types shared by the video, inference and application layers.

Each error knows the process exit code it maps to, so the command line can turn any failure into
one clear line and a documented exit status without a table of special cases:

* ``StartupError`` (exit 2): bad usage or bad input found before any frame is processed
  (missing file, unusable model, no camera at an index, unwritable output directory).
* ``RuntimeFailure`` (exit 1): something broke while running (camera lost, decode error, sink error).
"""

from __future__ import annotations


class StreampipeError(Exception):
    """Base class: the message is one line that names the input and what is wrong with it."""

    exit_code = 1


class StartupError(StreampipeError):
    """Bad usage or bad input detected before processing starts (exit code 2)."""

    exit_code = 2


class SourceOpenError(StartupError):
    """A source (file, camera, URL, folder) cannot be opened."""


class ModelError(StartupError):
    """A model cannot be loaded or is not understood by any decoder."""


class OutputError(StartupError):
    """An output path cannot be written (missing or read-only directory).

    ``output`` names the output (the report's ``failure.output``), as a failing sink does mid-run.
    """

    def __init__(self, message: str, *, output: str | None = None) -> None:
        super().__init__(message)
        self.output = output


class RuntimeFailure(StreampipeError):
    """A failure while frames are flowing (exit code 1)."""

    exit_code = 1


class CameraLostError(RuntimeFailure):
    """A live source stopped delivering frames (stall, frozen picture, disconnect after retries)."""


class DecodeError(RuntimeFailure):
    """A file or stream could not be decoded past some point."""


class SinkError(RuntimeFailure):
    """An output (video file, JSON Lines, preview) failed while writing."""
