"""The ``--report`` JSON and the human summary table, built from one pipeline snapshot."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..engine import PipelineSnapshot


def stage_rows(snapshot: PipelineSnapshot | None, source_dropped: int = 0) -> list[dict[str, Any]]:
    """Per-stage rows with the documented keys (``source`` is the capture/decode thread).

    A stage's ``dropped`` counts drops at its input channel; the source has none, so its row carries
    the frames a live source discarded in its own newest-frame slot: every drop is counted where it
    happens, and the rows add up to ``frames.dropped``.
    """
    if snapshot is None:
        return []
    rows = []
    for s in snapshot.stages:
        rows.append(
            {
                "name": s.name,
                "workers": s.workers,
                "items": s.items_out,
                "fps": s.fps,
                "service_ms": {k: s.service_ms[k] for k in ("p50", "p95", "p99", "mean")},
                "busy": s.busy,
                "queue_max": s.queue.get("max_depth", 0),
                "queue_size": s.queue.get("capacity"),
                "policy": s.queue.get("policy"),
                "dropped": s.dropped + (source_dropped if s.name == "source" else 0),
                "skipped": s.skipped,
            }
        )
    return rows


def build_report(
    *,
    status: str,
    error: str | None,
    source: dict[str, Any] | None,
    model: dict[str, Any] | None,
    snapshot: PipelineSnapshot | None,
    source_dropped: int,
    written: int,
    detections_total: int,
    wall_s: float,
    outputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report promised by the CLI contract; frame counts obey captured == processed + dropped.

    ``source_dropped`` counts frames a live source discarded before the pipeline saw them (its
    newest-frame slot), so they count as captured and dropped too.
    """
    captured = (snapshot.captured if snapshot else 0) + source_dropped
    dropped = (snapshot.dropped if snapshot else 0) + source_dropped
    lat = snapshot.latency_ms if snapshot else {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    return {
        "status": status,
        "error": error,
        "source": source,
        "model": model,
        "frames": {
            "captured": captured,
            "processed": snapshot.processed if snapshot else 0,
            "dropped": dropped,
            "skipped": snapshot.skipped if snapshot else 0,
            "in_flight_at_stop": snapshot.in_flight if snapshot else 0,
            "written": written,
        },
        "detections_total": detections_total,
        "stages": stage_rows(snapshot, source_dropped),
        "latency_ms": {k: lat[k] for k in ("p50", "p95", "p99")},
        "fps": snapshot.fps if snapshot else 0.0,
        "wall_s": round(wall_s, 3),
        "outputs": outputs or {},
    }


def write_json(path: str | os.PathLike[str], data: dict[str, Any]) -> None:
    """Write a JSON document so a reader never sees half of it.

    A regular file (or a new one) is replaced atomically: a uniquely named temporary file in the
    same folder, then a rename. Symlinks are followed (the link stays a link) and anything that
    is not a regular file, such as ``/dev/stdout`` or a pipe, is written in place.
    """
    text = json.dumps(data, indent=2, default=str) + "\n"
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        with open(target, "w") as fh:
            fh.write(text)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def format_table(report: dict[str, Any]) -> str:
    """Per-stage summary with the bottleneck (the busiest stage per worker) marked.

    The source competes too: a file's decode can be the limit, and a live camera that the
    pipeline keeps up with spends its time waiting for the next frame, so there the camera's pace
    is what limits the rate and the table says so.
    """
    rows = report.get("stages") or []
    if not rows:
        return "(no frames processed)"
    bottleneck = max(rows, key=lambda r: r["busy"])["name"]
    live = bool((report.get("source") or {}).get("live"))
    bottleneck_mark = "  <- bottleneck (camera pace)" if live and bottleneck == "source" else "  <- bottleneck"
    head = f"{'stage':<12}{'workers':>8}{'items':>8}{'fps':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}" \
           f"{'busy':>7}{'q max':>7}{'drops':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        sm = r["service_ms"]
        mark = bottleneck_mark if r["name"] == bottleneck else ""
        lines.append(
            f"{r['name']:<12}{r['workers']:>8}{r['items']:>8}{r['fps']:>9.1f}{sm['p50']:>9.2f}{sm['p95']:>9.2f}"
            f"{sm['p99']:>9.2f}{r['busy'] * 100:>6.0f}%{r['queue_max']:>7}{r['dropped']:>7}{mark}"
        )
    f = report["frames"]
    lat = report["latency_ms"]
    lines.append(
        f"frames: captured {f['captured']}, processed {f['processed']}, dropped {f['dropped']}, "
        f"written {f['written']}; {report['fps']:.1f} FPS; latency p50 {lat['p50']:.1f} ms, "
        f"p95 {lat['p95']:.1f} ms, p99 {lat['p99']:.1f} ms; wall {report['wall_s']:.2f} s"
    )
    return "\n".join(lines)
