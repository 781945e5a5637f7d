"""Shared bits for the benchmark scripts: where the real data is, and how to print a goal line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """``$STREAMPIPE_TEST_DATA`` or ``../shared/data`` next to the checkout."""
    path = Path(os.environ.get("STREAMPIPE_TEST_DATA", ROOT.parent / "shared" / "data"))
    if not path.is_absolute() and not path.is_dir():
        path = ROOT / path  # relative to the checkout, as .ci/run sets it
    if not (path / "MANIFEST.md").is_file():
        sys.exit(f"benchmark data not found at {path}: set STREAMPIPE_TEST_DATA")
    return path


def goal(label: str, value: float, target: float, *, at_most: bool = False) -> str:
    """'label: value (goal >= target) met/NOT met' -- printed, never asserted."""
    ok = value <= target if at_most else value >= target
    sign = "<=" if at_most else ">="
    return f"{label}: {value:.3f} (goal {sign} {target}) {'met' if ok else 'NOT met'}"
