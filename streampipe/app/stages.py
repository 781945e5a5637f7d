"""The per-frame steps of a job, defined once and used two ways.

``build_steps`` returns an ordered list of ``Step``: preprocess -> infer -> postprocess -> render
-> sink. The sink writes every output (video encoder first, then JSON Lines, preview, display) in
one thread, so after any stop all outputs hold exactly the same frames. The pipeline runs each
step as a ``Stage`` (with threads, channels, metrics); the benchmark's sequential loop calls the
very same callables one after the other, so "pipeline vs sequential" compares identical work
through identical code.

Private results travel between steps in ``Frame.meta`` under keys starting with ``_`` (the
preprocessed tensor, the raw outputs); ``postprocess`` removes them so sinks see a clean frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..frame import Frame

TENSOR = "_tensor"
PREP = "_prep"
OUTPUTS = "_outputs"


@dataclass
class Step:
    """One named step; ``make()`` builds the per-thread worker (``process`` + optional open/close)."""

    name: str
    make: Callable[[], Any]
    workers: int = 1
    batch_size: int = 1
    batch_wait_s: float = 0.0


class FnWorker:
    """A stateless step function wrapped as a worker."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.process = fn


def _public_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if not k.startswith("_")}


def make_preprocess(model: Any) -> Callable[[Frame], Frame]:
    def preprocess(frame: Frame) -> Frame:
        tensor, prep = model.preprocess(frame.image)
        return frame.with_(meta={**frame.meta, TENSOR: tensor, PREP: prep})

    return preprocess


def _with_outputs(frame: Frame, outputs: list[np.ndarray]) -> Frame:
    """The frame with its raw model outputs in place of its (now spent) input tensor."""
    meta = {k: v for k, v in frame.meta.items() if k != TENSOR}
    meta[OUTPUTS] = outputs
    return frame.with_(meta=meta)


def make_infer(model: Any) -> Callable[[Frame], Frame]:
    def infer(frame: Frame) -> Frame:
        return _with_outputs(frame, model.infer(frame.meta[TENSOR]))

    return infer


def make_infer_batch(model: Any) -> Callable[[Sequence[Frame]], list[Frame]]:
    """Micro-batched inference: stack same-shaped tensors into one ORT run, split the outputs."""

    def infer_batch(frames: Sequence[Frame]) -> list[Frame]:
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, f in enumerate(frames):
            groups.setdefault(f.meta[TENSOR].shape, []).append(i)
        out: list[Frame | None] = [None] * len(frames)
        for idx in groups.values():
            stacked = np.concatenate([frames[i].meta[TENSOR] for i in idx])
            outputs = model.infer(stacked)
            for j, i in enumerate(idx):
                out[i] = _with_outputs(frames[i], [o[j : j + 1] for o in outputs])
        return out  # type: ignore[return-value]

    return infer_batch


def make_postprocess(model: Any) -> Callable[[Frame], Frame]:
    def postprocess(frame: Frame) -> Frame:
        dets = model.postprocess(frame.meta[OUTPUTS], [frame.meta[PREP]])[0]
        return frame.with_(detections=dets, meta=_public_meta(dict(frame.meta)))

    return postprocess


class Fanout:
    """Several sinks behind one worker: open all, feed each frame to each, close all.

    ``close`` closes every sink even when one fails (each output is finalized), then raises the
    first failure so it is not silently lost.
    """

    def __init__(self, sinks: Sequence[Any], on_frame: Callable[[Frame], None] | None = None) -> None:
        self.sinks = list(sinks)
        self.on_frame = on_frame
        self._opened: list[Any] = []

    def open(self) -> None:
        for sink in self.sinks:
            opener = getattr(sink, "open", None)
            if opener is not None:
                opener()
            self._opened.append(sink)

    def process(self, frame: Frame) -> Frame:
        for sink in self.sinks:
            try:
                sink.process(frame)
            except Exception as exc:
                _tag(exc, sink)
                raise
        if self.on_frame is not None:
            self.on_frame(frame)
        return frame

    def close(self) -> None:
        first: BaseException | None = None
        for sink in reversed(self._opened):
            closer = getattr(sink, "close", None)
            if closer is None:
                continue
            try:
                closer()
            except BaseException as exc:  # noqa: BLE001 - finish closing the others first
                _tag(exc, sink)
                first = first or exc
        self._opened.clear()
        if first is not None:
            raise first


def _tag(exc: BaseException, sink: Any) -> None:
    """Several sinks share the sink stage: name the one that failed (``failure.output`` in the report)."""
    exc.output = str(getattr(sink, "path", None) or type(sink).__name__)  # type: ignore[attr-defined]


@dataclass
class StepPlan:
    """What ``build_steps`` needs beyond the model: render options and the sink objects."""

    renderer: Callable[[Frame], Frame] | None = None
    encoder: Any = None  # a VideoFileSink-like worker, or None
    sinks: list[Any] = field(default_factory=list)  # JSONL, preview, display slot ...
    on_frame: Callable[[Frame], None] | None = None  # counters, progress
    infer_workers: int = 1
    post_workers: int = 1
    batch: int = 1
    batch_wait_s: float = 0.005


def build_steps(model: Any, plan: StepPlan) -> list[Step]:
    """The ordered steps for one job (the last one is the sink and always present)."""
    steps = [Step("preprocess", lambda: FnWorker(make_preprocess(model)))]
    if plan.batch > 1:
        steps.append(
            Step("infer", lambda: FnWorker(make_infer_batch(model)), workers=plan.infer_workers,
                 batch_size=plan.batch, batch_wait_s=plan.batch_wait_s)
        )
    else:
        steps.append(Step("infer", lambda: FnWorker(make_infer(model)), workers=plan.infer_workers))
    steps.append(Step("postprocess", lambda: FnWorker(make_postprocess(model)), workers=plan.post_workers))
    if plan.renderer is not None:
        renderer = plan.renderer
        steps.append(Step("render", lambda: FnWorker(renderer), workers=plan.post_workers))
    sinks = [plan.encoder, *plan.sinks] if plan.encoder is not None else list(plan.sinks)
    on_frame = plan.on_frame
    steps.append(Step("sink", lambda: Fanout(sinks, on_frame)))
    return steps
