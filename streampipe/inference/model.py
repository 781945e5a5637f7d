"""``Model``: one loaded ONNX model = session + input spec + decoder, with a split API for pipelines.

    image_bgr --preprocess--> (tensor [1,...], PreprocessMeta)      cv2, releases the GIL
    stack(tensors) --infer--> raw outputs [B, ...]                  ORT run, releases the GIL
    (outputs, metas) --postprocess--> list[Detections]              vectorised numpy + cv2 NMS

The three steps are separate so the pipeline can run them as separate stages and the benchmark can time
each one; ``detect``/``detect_batch`` chain them. A ``Model`` holds no per-call mutable state, so one
instance (one ORT session) can be used from many threads at once.

Cancellation: every ORT run of a model uses the one ``onnxruntime.RunOptions`` the model holds.
``cancel()`` sets its ``terminate`` flag, which ORT checks between graph nodes, so runs in flight (in any
thread) return within about one node's time with :class:`InferenceCancelled` - a 4K CenterFace frame no
longer holds a SIGTERM for its full 10 s - and later runs fail at once. ``reset_cancel()`` gives the model
fresh run options for the next job (runs still in flight keep the cancelled ones, so they still stop).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnxruntime as ort

from ..frame import Detections
from .decoders import Decoder
from .nms import nms as run_nms
from .preprocess import Plan, PreprocessMeta, preprocess
from .session import SessionConfig, create_session
from .signature import InputSpec

MAX_DET = 300


class InferenceCancelled(RuntimeError):
    """An ORT run stopped (or refused to start) because :meth:`Model.cancel` was called."""


class Model:
    """A loaded detector/classifier. Build it with :func:`streampipe.inference.load_model`."""

    def __init__(
        self,
        *,
        name: str,
        path: str,
        model_bytes: bytes,
        session_config: SessionConfig,
        decoder: Decoder,
        plan: Plan,
        input_spec: InputSpec,
        target_hw: tuple[int, int] | None,
        labels: Sequence[str],
        conf: float,
        nms: float,
        class_filter: np.ndarray | None,
        batch: int,
        session: Any = None,
    ) -> None:
        self.name = name
        self.path = path
        self._bytes = model_bytes
        self._cfg = session_config
        self._session = session if session is not None else create_session(model_bytes, session_config, path)
        self._decoder = decoder
        self._plan = plan
        self.input_spec = input_spec
        self.target_hw = target_hw
        self.labels: tuple[str, ...] = tuple(labels)
        self.conf = conf
        self.nms = nms
        self._class_filter = class_filter
        self.batch = batch
        self._output_names = [o.name for o in self._session.get_outputs()]
        self._run_options = ort.RunOptions()

    # -- description -------------------------------------------------------------------------------
    @property
    def providers(self) -> list[str]:
        """Execution providers the session actually uses (after any fallback)."""
        return list(self._session.get_providers())

    @property
    def decoder_name(self) -> str:
        return self._decoder.name

    @property
    def session_config(self) -> SessionConfig:
        return self._cfg

    def info(self) -> dict[str, Any]:
        """JSON-ready summary for logs, ``--report`` and ``models info``."""
        size = None
        if self.target_hw:
            size = [self.target_hw[1], self.target_hw[0]]
        return {
            "name": self.name,
            "path": self.path,
            "providers": self.providers,
            "decoder": self.decoder_name,
            "input": {
                "name": self.input_spec.name,
                "shape": self.input_spec.shape(),
                "layout": self.input_spec.layout,
                "dtype": self.input_spec.dtype,
                "size_wh": size,
                "preprocess": self._plan.mode,
            },
            "labels": len(self.labels),
            "conf": self.conf,
            "nms": self.nms,
            "batch": self.batch,
            "intra_op_threads": self._session.get_session_options().intra_op_num_threads,
        }

    def clone(self) -> Model:
        """Same model with its own ORT session (for callers who want one session per thread)."""
        return Model(
            name=self.name, path=self.path, model_bytes=self._bytes, session_config=self._cfg,
            decoder=self._decoder, plan=self._plan, input_spec=self.input_spec, target_hw=self.target_hw,
            labels=self.labels, conf=self.conf, nms=self.nms, class_filter=self._class_filter, batch=self.batch,
        )

    # -- cancellation ------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop this model's runs in flight (any thread) promptly; later runs fail until :meth:`reset_cancel`.

        Non-blocking, callable from any thread or a signal handler. Affects this model only (not clones)."""
        self._run_options.terminate = True

    def reset_cancel(self) -> None:
        """Make the model usable again after :meth:`cancel` (e.g. for the next input of a batch)."""
        self._run_options = ort.RunOptions()

    @property
    def cancelled(self) -> bool:
        return bool(self._run_options.terminate)

    def _run(self, feed: np.ndarray, run_options: ort.RunOptions) -> list[np.ndarray]:
        try:
            return self._session.run(self._output_names, {self.input_spec.name: feed}, run_options)
        except Exception as exc:  # ORT raises private pybind exception types
            if run_options.terminate:
                raise InferenceCancelled(f"{self.name}: inference cancelled") from exc
            raise

    # -- the split API -----------------------------------------------------------------------------
    def preprocess(self, image_bgr: np.ndarray) -> tuple[np.ndarray, PreprocessMeta]:
        """One frame -> ([1, ...] tensor in the model's layout/dtype, mapping metadata)."""
        if not isinstance(image_bgr, np.ndarray) or image_bgr.ndim not in (2, 3) or image_bgr.size == 0:
            # e.g. cv2.imread's None for a path it could not read
            raise TypeError(f"{self.name}: expected an image (HxWx3 BGR array), got "
                            f"{type(image_bgr).__name__}{getattr(image_bgr, 'shape', '')}")
        return preprocess(image_bgr, self._plan, self.input_spec, self.target_hw)

    def infer(self, batch_tensor: np.ndarray) -> list[np.ndarray]:
        """Run ORT on a stacked batch; each returned array has the same leading batch size.

        A static-batch model gets its batch padded with zeros (and the padding's outputs dropped) or
        split into chunks, so callers never need to know the model's batch size.
        """
        n = int(batch_tensor.shape[0])
        fixed = self.input_spec.batch
        run_options = self._run_options  # one object for all chunks: a cancel stops every one of them
        if fixed is None or fixed == n:
            return self._run(batch_tensor, run_options)
        parts: list[list[np.ndarray]] = []
        for start in range(0, n, fixed):
            chunk = batch_tensor[start : start + fixed]
            m = chunk.shape[0]
            if m < fixed:
                pad = np.zeros((fixed - m, *chunk.shape[1:]), chunk.dtype)
                chunk = np.concatenate((chunk, pad))
            outs = self._run(chunk, run_options)
            parts.append([o[:m] for o in outs])
        return [np.concatenate(p) for p in zip(*parts)] if len(parts) > 1 else parts[0]

    def postprocess(self, outputs: Sequence[np.ndarray], metas: Sequence[PreprocessMeta]) -> list[Detections]:
        """Raw outputs for ``len(metas)`` images -> Detections in original-frame pixels."""
        return [self._postprocess_one([o[i] for o in outputs], meta) for i, meta in enumerate(metas)]

    def _postprocess_one(self, outs: list[np.ndarray], meta: PreprocessMeta) -> Detections:
        dec = self._decoder
        cand = dec.decode(outs, meta, self.conf)
        boxes, scores, ids, kps = cand.boxes, cand.scores, cand.class_ids, cand.keypoints
        if self._class_filter is not None and len(ids):
            keep = np.isin(ids, self._class_filter)
            boxes, scores, ids = boxes[keep], scores[keep], ids[keep]
            kps = None if kps is None else kps[keep]
        if len(scores) == 0:
            return Detections.empty(self.labels, dec.num_keypoints)
        if dec.uses_nms:
            keep = run_nms(boxes, scores, ids, self.nms, MAX_DET)  # in network pixels, as upstream tools do
            boxes, scores, ids = boxes[keep], scores[keep], ids[keep]
            kps = None if kps is None else kps[keep]
        return Detections(
            boxes=meta.boxes_to_original(boxes),
            scores=np.ascontiguousarray(scores, np.float32),
            class_ids=np.ascontiguousarray(ids, np.int32),
            keypoints=None if kps is None else meta.points_to_original(kps),
            labels=self.labels,
        )

    # -- conveniences ------------------------------------------------------------------------------
    def detect(self, image_bgr: np.ndarray) -> Detections:
        tensor, meta = self.preprocess(image_bgr)
        return self.postprocess(self.infer(tensor), [meta])[0]

    def detect_batch(self, images: Sequence[np.ndarray]) -> list[Detections]:
        """Detect on several frames, ``self.batch`` per ORT run; order preserved, last batch may be short.

        Frames whose tensors differ in size (dynamic-size models fed frames of different sizes) cannot
        be stacked, so they run in separate groups.
        """
        results: list[Detections | None] = [None] * len(images)
        step = max(1, self.batch)
        for start in range(0, len(images), step):
            prepared = [self.preprocess(img) for img in images[start : start + step]]
            groups: dict[tuple[int, ...], list[int]] = {}
            for j, (t, _) in enumerate(prepared):
                groups.setdefault(t.shape, []).append(j)
            for idx in groups.values():
                stacked = np.concatenate([prepared[j][0] for j in idx])
                dets = self.postprocess(self.infer(stacked), [prepared[j][1] for j in idx])
                for j, d in zip(idx, dets):
                    results[start + j] = d
        return results  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"Model({self.name!r}, decoder={self.decoder_name!r}, providers={self.providers})"
