"""``open_source``: one call from a user's string to an open, validated ``Source``.

Everything that can be checked before the first frame is checked here (file exists, container
opens, first frame decodes, camera answers, stream connects), so bad input fails with a one-line
``SourceOpenError`` (exit code 2) before the pipeline starts any thread.
"""

from __future__ import annotations

import functools

from streampipe.errors import SourceOpenError
from streampipe.video.capture import OpenCVBackend
from streampipe.video.file_source import FileSource
from streampipe.video.folder_source import FolderSource
from streampipe.video.live_source import LiveSource
from streampipe.video.source import ReconnectPolicy, Source
from streampipe.video.spec import parse_spec
from streampipe.video.synthetic import SyntheticSource


def open_source(
    spec: str,
    *,
    live: bool | None = None,
    open_timeout: float = 10.0,
    read_timeout: float = 5.0,
    reconnect: ReconnectPolicy | None = None,
    realtime: bool | None = None,
) -> Source:
    """Open ``spec`` (see :mod:`streampipe.video.spec` for the spellings) and return its ``Source``.

    ``live`` overrides whether the source counts as live (it decides ``default_policy``);
    ``realtime`` paces files, folders and synthetic sources at their frame rate (default: only
    synthetic); ``reconnect`` applies to network streams (default ``ReconnectPolicy()``); cameras
    and files never reconnect.
    """
    try:
        parsed = parse_spec(spec)
    except ValueError as e:
        raise SourceOpenError(str(e)) from None
    if parsed.kind == "synthetic":
        return SyntheticSource(
            parsed.raw,
            parsed.width,
            parsed.height,
            parsed.fps,
            parsed.count,
            realtime=True if realtime is None else realtime,
            live=live,
        )
    if parsed.kind == "file":
        return FileSource(parsed.target, live=live, realtime=bool(realtime))
    if parsed.kind == "folder":
        return FolderSource(parsed.target, live=live, realtime=bool(realtime))
    if parsed.kind == "camera":
        device: int | str = parsed.index if parsed.target == "" else parsed.target  # type: ignore[assignment]
        opener = functools.partial(
            OpenCVBackend.open_camera, device, open_timeout=open_timeout, read_timeout=read_timeout
        )
        return LiveSource(
            spec,
            "camera",
            opener,
            read_timeout=read_timeout,
            open_timeout=open_timeout,
            detect_frozen=True,
            live=live,
        )
    opener = functools.partial(
        OpenCVBackend.open_stream, parsed.target, open_timeout=open_timeout, read_timeout=read_timeout
    )
    return LiveSource(
        spec,
        "network",
        opener,
        read_timeout=read_timeout,
        open_timeout=open_timeout,
        reconnect=reconnect or ReconnectPolicy(),
        live=live,
    )
