"""Start-up checks of the outputs: writable, not the source, not each other (exit 2 before any work)."""

from __future__ import annotations

import os

from ..errors import StreampipeError
from .options import RunOptions


def local_file(spec: str) -> str | None:
    """The real path of a source that is an existing local file, else None."""
    return os.path.realpath(spec) if os.path.isfile(spec) else None


def same_file(a: str, b: str) -> bool:
    """Same file on disk: same resolved path, or (both existing) same device and inode, which
    also catches hard links."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(options: RunOptions) -> None:
    """Every output is writable, none is the source, no two are the same file (exit 2 at start-up).

    Writing the annotated video over the input would destroy it while it is being read, and two
    outputs on one path silently clobber each other; both are refused before any work is done.
    """
    from ..errors import OutputError
    from ..video import check_container, open_output_check

    source = local_file(options.source)
    seen: list[tuple[str, str]] = []
    for flag, path in (("--output", options.output), ("--jsonl", options.jsonl), ("--report", options.report)):
        if not path:
            continue
        if source is not None and same_file(path, source):
            raise OutputError(f"{path}: {flag} is the source file; refusing to overwrite the input", output=path)
        for other_flag, other in seen:
            if same_file(path, other):
                raise OutputError(f"{path}: {other_flag} and {flag} name the same file", output=path)
        seen.append((flag, path))
        open_output_check(path)
    if options.output:
        check_container(options.output, options.codec)  # before the model loads, not at the sink


def report_is_the_problem(report: str, options: RunOptions) -> bool:
    """Whether the report path is the reason ``check_outputs`` failed."""
    from ..video import open_output_check

    others = [p for p in (options.output, options.jsonl) if p]
    source = local_file(options.source)
    if (source is not None and same_file(report, source)) or any(same_file(report, p) for p in others):
        return True
    try:
        open_output_check(report)
    except StreampipeError:
        return True
    return False
