"""Drops on a live source are counted exactly and where they happen, under either live policy.

A paced 120 FPS synthetic camera feeds a 20 ms model: about half the frames must go. With
``drop-oldest`` they go at the pipeline's door channels; with ``block`` the channels hold them back
and the camera's own newest-frame slot drops them instead (and a warning says so). Either way the
report's stage rows add up to ``frames.dropped`` and ``captured == processed + dropped``.
"""

from __future__ import annotations

import logging

import pytest
from reliability_tools import SlowModel, read_jsonl

from streampipe.app.options import RunOptions
from streampipe.app.runner import load_model_for, run_job

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("policy", ["drop-oldest", "block"])
def test_live_drops_add_up_and_sit_where_they_happened(tmp_path, failing_model, policy, caplog,
                                                        no_leaked_threads) -> None:
    opts = RunOptions(source="synthetic:160x120@120:120", model=str(failing_model), decoder="classify", conf=0.99,
                      policy=policy, live=True, infer_workers=1, progress=False, overlay=False,
                      jsonl=str(tmp_path / "d.jsonl"), output=str(tmp_path / "o.mp4"))
    model = SlowModel(load_model_for(opts), 20)
    with caplog.at_level(logging.WARNING):
        result = run_job(opts, model=model, echo=lambda s: None)
    assert result.status == "ok", result.report["error"]
    f, rows = result.report["frames"], {s["name"]: s for s in result.report["stages"]}
    assert f["captured"] == 120 == f["processed"] + f["dropped"] and f["in_flight_at_stop"] == 0
    assert f["dropped"] >= 30  # 20 ms per frame keeps up with at most 50 of 120 FPS
    assert sum(s["dropped"] for s in rows.values()) == f["dropped"]
    assert f["written"] == f["processed"] == len(read_jsonl(tmp_path / "d.jsonl"))
    warned = any("policy 'block' on live source" in r.getMessage() for r in caplog.records)
    if policy == "block":
        assert rows["source"]["dropped"] == f["dropped"] and warned
    else:
        assert rows["infer"]["dropped"] + rows["preprocess"]["dropped"] > 0 and not warned
