"""Histogram: bounded memory, percentiles within the bucket resolution."""

from __future__ import annotations

import random

from streampipe.engine import Histogram


def test_percentiles_are_within_bucket_resolution() -> None:
    rng = random.Random(1)
    samples = [rng.uniform(0.001, 0.1) for _ in range(20000)]
    h = Histogram()
    for s in samples:
        h.record(s)
    samples.sort()
    for q in (50, 95, 99):
        exact = samples[int(len(samples) * q / 100) - 1]
        assert abs(h.percentile(q) - exact) / exact < 0.05, q
    assert h.count == 20000 and len(h.counts) < 500


def test_empty_and_single_sample() -> None:
    h = Histogram()
    assert h.percentile(99) == 0.0
    h.record(0.0123)
    assert h.percentile(50) == 0.0123 == h.percentile(99)
    assert h.summary_ms()["count"] == 1


def test_merge_adds_samples() -> None:
    a, b = Histogram(), Histogram()
    a.record(0.001)
    b.record(1.0)
    m = a.merge(b)
    assert m.count == 2 and m.min == 0.001 and m.max == 1.0
