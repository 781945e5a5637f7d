"""The end-of-run table names the stage that limits the rate, the source included."""

from __future__ import annotations

from streampipe.app.report import format_table


def _row(name: str, busy: float) -> dict:
    return {"name": name, "workers": 1, "items": 10, "fps": 10.0, "busy": busy, "queue_max": 1, "dropped": 0,
            "service_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0}}


def _report(rows: list[dict], live: bool) -> dict:
    return {"stages": rows, "source": {"live": live}, "fps": 10.0, "wall_s": 1.0,
            "frames": {"captured": 10, "processed": 10, "dropped": 0, "written": 10},
            "latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0}}


def _marked(table: str) -> list[str]:
    return [line.split()[0] + line.split("<-")[1] for line in table.splitlines() if "<-" in line]


def test_the_busiest_stage_is_the_bottleneck() -> None:
    rows = [_row("source", 0.2), _row("infer", 0.9), _row("sink", 0.3)]
    assert _marked(format_table(_report(rows, live=False))) == ["infer bottleneck"]


def test_a_slow_decode_or_a_camera_pace_can_be_the_bottleneck() -> None:
    rows = [_row("source", 0.98), _row("infer", 0.31), _row("sink", 0.1)]
    assert _marked(format_table(_report(rows, live=False))) == ["source bottleneck"]
    assert _marked(format_table(_report(rows, live=True))) == ["source bottleneck (camera pace)"]


def test_nothing_processed() -> None:
    assert format_table({"stages": []}) == "(no frames processed)"
