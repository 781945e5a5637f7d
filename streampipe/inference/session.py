"""ONNX Runtime session construction: execution providers, thread pools, spinning.

Why this is its own module: the choices here (which provider, how many intra-op threads, whether the
pool spins) decide most of the CPU/GPU performance and have nothing to do with what the model computes.
Keeping them in one place lets the pipeline size ORT's pool against its own worker threads, and lets the
benchmark (``benchmarks/infer_sharing.py``) drive exactly the same code the application uses.

Thread safety: ``InferenceSession.run`` is documented as safe to call concurrently from several threads on
one session, so the default is one shared session per model: on this project's 2-core box two workers
sharing one session ran as fast as two workers with their own sessions (YOLOX-Nano 63.5 vs 64.2 fps,
CenterFace 27.8 vs 27.5 fps, ``benchmarks/infer_sharing.py``) and per-thread sessions double the memory.
``Model.clone()`` exists for callers who want per-thread sessions anyway. The same run shows 2 workers x
1 intra-op thread beating 1 worker x 2 threads for YOLOX-Nano (63.5 vs 30.9 fps) and matching it for
CenterFace (27.8 vs 25.9 fps).

IO binding is deliberately not used: our inputs are host numpy arrays made by OpenCV and every decoder
needs its outputs on the host, so binding would only move the same two copies into ORT. It pays when
tensors stay on the GPU between models, which this pipeline does not do.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort

from ..errors import ModelError

log = logging.getLogger("streampipe.inference")

CPU = "CPUExecutionProvider"

#: ``device`` word -> ORT provider name. ``cuda:1`` style suffixes select the device id.
DEVICE_PROVIDERS: dict[str, str] = {
    "cpu": CPU,
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "trt": "TensorrtExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "dml": "DmlExecutionProvider",
    "directml": "DmlExecutionProvider",
    "rocm": "ROCMExecutionProvider",
    "migraphx": "MIGraphXExecutionProvider",
}


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Everything needed to (re)build an identical session, so ``Model.clone()`` is exact."""

    device: str = "cpu"
    device_strict: bool = False
    intra_op_threads: int | None = None
    busy_other_stages: int = 0
    allow_spinning: bool | None = None


def available_cpus() -> int:
    """CPUs this process may run on (respects taskset/cgroups cpusets, unlike ``os.cpu_count``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS / Windows have no sched_getaffinity
        return max(1, os.cpu_count() or 1)


def default_intra_op_threads(busy_other_stages: int = 0) -> int:
    """Cores left for ORT after the pipeline's other busy stages each take one (at least 1).

    ORT's pool and the pipeline's decode/render threads compete for the same cores; oversubscription
    costs more (context switches, spinning threads stealing a core) than a smaller pool loses.
    """
    return max(1, available_cpus() - max(0, busy_other_stages))


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "streampipe"


def provider_chain(device: str) -> list[Any]:
    """Ordered provider list (with options) for ``device``; CPU is always the final fallback.

    Options are chosen so a GPU path is right by construction: TensorRT caches its engines (building one
    takes minutes) and may fall back to CUDA for unsupported nodes; CUDA grows its arena only as needed
    so several sessions can share one GPU.
    """
    word, _, idx = device.lower().partition(":")
    if word not in DEVICE_PROVIDERS:
        raise ModelError(f"unknown device {device!r}; choose one of: {', '.join(sorted(DEVICE_PROVIDERS))}")
    device_id = int(idx) if idx.isdigit() else 0
    name = DEVICE_PROVIDERS[word]
    cuda = ("CUDAExecutionProvider", {"device_id": device_id, "arena_extend_strategy": "kSameAsRequested"})
    if name == CPU:
        return [CPU]
    if name == "CUDAExecutionProvider":
        return [cuda, CPU]
    if name == "TensorrtExecutionProvider":
        trt = {
            "device_id": device_id,
            "trt_engine_cache_enable": True,
            "trt_engine_cache_path": str(_cache_dir() / "trt"),
            "trt_fp16_enable": True,
        }
        return [(name, trt), cuda, CPU]
    if name == "OpenVINOExecutionProvider":
        return [(name, {"device_type": idx.upper() if idx else "CPU"}), CPU]
    if name in ("DmlExecutionProvider", "ROCMExecutionProvider", "MIGraphXExecutionProvider"):
        return [(name, {"device_id": device_id}), CPU]
    return [name, CPU]


def _name(p: Any) -> str:
    return p[0] if isinstance(p, tuple) else p


def resolve_providers(device: str, strict: bool) -> list[Any]:
    """Drop providers this onnxruntime build lacks; warn once (or raise when ``strict``)."""
    chain = provider_chain(device)
    have = set(ort.get_available_providers())
    missing = [_name(p) for p in chain if _name(p) not in have]
    if missing:
        msg = (
            f"device {device!r}: {', '.join(missing)} not available in this onnxruntime build "
            f"(available: {', '.join(sorted(have))})"
        )
        if strict:
            raise ModelError(msg)
        log.warning("%s; falling back to %s", msg, "CPU" if _name(chain[0]) in missing else "the rest")
    return [p for p in chain if _name(p) in have]


def session_options(cfg: SessionConfig) -> ort.SessionOptions:
    """Graph optimisation ALL, a sized intra-op pool, sequential execution, no spinning by default.

    Spinning keeps pool threads busy-waiting between ops. ``benchmarks/infer_sharing.py`` on the 2-core
    dev box: alone it gains at most ~5% (CenterFace 27.2 vs 25.9 fps) and sometimes loses 2x (YOLOX-Nano
    15.6 vs 30.9 fps); next to one busy OpenCV thread it halves CenterFace (4.3 vs 8.4 fps) and takes 40%
    from the other thread. A pipeline always has other threads, so spinning is opt-in.
    """
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    threads = cfg.intra_op_threads or default_intra_op_threads(cfg.busy_other_stages)
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "1" if cfg.allow_spinning else "0")
    # Fatal only: ORT's warnings are not actionable for users, and its errors reach us as exceptions
    # that the CLI reports as one line; ORT's own "[E:onnxruntime...]" echo would be a second one.
    so.log_severity_level = 4
    return so


def create_session(model_bytes: bytes, cfg: SessionConfig, label: str) -> ort.InferenceSession:
    """Build the session; ``label`` names the model file in any error message."""
    providers = resolve_providers(cfg.device, cfg.device_strict)
    try:
        sess = ort.InferenceSession(model_bytes, sess_options=session_options(cfg), providers=providers)
    except Exception as exc:  # ORT raises several private exception types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{label}: onnxruntime cannot load the model: {first}") from exc
    wanted = _name(providers[0])
    used = sess.get_providers()
    if wanted != CPU and wanted not in used:
        # The provider was compiled in but failed to initialise (no driver, no CUDA libraries).
        msg = f"device {cfg.device!r}: {wanted} failed to initialise; running on {used[0]}"
        if cfg.device_strict:
            raise ModelError(f"{label}: {msg}")
        log.warning(msg)
    return sess
