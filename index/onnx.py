"""The embedding model's transformer run by ONNX Runtime instead of torch.

The sentence-transformers model (a BERT-style transformer, mean pooling, normalisation) is exported once
with ``torch.onnx.export``, its attention and layer-norm subgraphs fused by ONNX Runtime's transformer
optimiser, and cached by model fingerprint. Tokenisation stays the model's own, so the vectors equal
torch's to within float rounding (cosine ≥ 0.9999), while a short query embeds about five times faster
on a CPU.

The fused model can also be quantised dynamically to int8 (weights int8, activations quantised per
call), cached beside the float model: about a quarter of the size and faster on CPUs, at the price of
vectors that are close to, not equal to, the float ones. Embedded one text a pass, a vector is its
text's own bit for bit, and passes run side by side, one per core (:class:`OnnxTransformer`'s ``passes``).

Known traps, handled here: the example batch used for export contains padding, or the attention mask is
folded away and padded batches come out wrong without an error; attention fusion needs the eager
attention implementation at export; the quantiser cannot infer the types of the fused operators'
outputs and must be told they are float (``DefaultTensorType``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PRECISIONS = ("fp32", "int8")
# quantize_dynamic's arguments, chosen by measurement (scripts/bench_embed.py). Signed weights take the
# fast u8 x s8 kernels; reduce_range keeps them to 7 bits, so that the pairwise 16-bit sums of CPUs
# without VNNI (AVX2) cannot saturate and they get the integer products a VNNI CPU gets; per channel
# recovers the precision. They name the cached file, so other settings quantise afresh instead of reusing it.
INT8_SETTINGS: dict[str, Any] = {"per_channel": True, "reduce_range": True, "weight_type": "QInt8"}


def cache_root() -> Path:
    """``$TOPICS_CACHE``, else ``$XDG_CACHE_HOME/topics``, else ``~/.cache/topics``."""
    if os.environ.get("TOPICS_CACHE"):
        return Path(os.environ["TOPICS_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "topics"


def supported(model_path: Path) -> bool:
    """True for a transformer + mean pooling (+ normalise) model, the shape this runner reproduces."""
    try:
        modules = json.loads((model_path / "modules.json").read_text())
        pooling = json.loads((model_path / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return False
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens")
    return kinds[:2] == ["Transformer", "Pooling"] and set(kinds[2:]) <= {"Normalize"} and bool(mean_only)


def _written(target: Path, write: Callable[[Path], None]) -> None:
    """Have ``write`` produce ``target`` under a temporary name, then move it into place.

    A crash or a concurrent process never leaves a half-written model under the name the cache trusts.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.stem}.{os.getpid()}.partial.onnx")
    try:
        write(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _export(model_path: Path, target: Path) -> None:
    """Export the transformer with a padded example batch, fuse it, and move it into place."""
    import torch
    from onnxruntime.transformers import optimizer
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    config = AutoConfig.from_pretrained(model_path, local_files_only=True)
    model = AutoModel.from_pretrained(model_path, attn_implementation="eager", local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
    example = tokenizer(["a short text", "a longer text, so that the example batch holds padding"],
                        padding=True, return_tensors="pt")

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    def fuse(fused: Path) -> None:
        raw = fused.with_name(f"raw.{os.getpid()}.onnx")
        try:
            axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tracer notes about Python control flow in the model
                torch.onnx.export(LastHiddenState(), tuple(example[name] for name in INPUTS), str(raw),
                                  input_names=list(INPUTS), output_names=["last_hidden_state"],
                                  dynamic_axes=axes, opset_version=17, dynamo=False)
            optimised = optimizer.optimize_model(str(raw), model_type="bert",
                                                 num_heads=config.num_attention_heads,
                                                 hidden_size=config.hidden_size)
            optimised.save_model_to_file(str(fused))
        finally:
            raw.unlink(missing_ok=True)

    _written(target, fuse)


class _QuantiserAdvice(logging.Filter):
    """Drops what the quantiser logs on the root logger while it runs (advice to pre-process the model,
    which a first ``topics ingest`` would print): the fused model is the one meant to be quantised."""

    def filter(self, record: logging.LogRecord) -> bool:
        return f"{os.sep}quantization{os.sep}" not in record.pathname


def _quantize(source: Path, target: Path) -> None:
    """Quantise the fused float model dynamically to int8 with :data:`INT8_SETTINGS`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    settings = {**INT8_SETTINGS, "weight_type": QuantType[INT8_SETTINGS["weight_type"]]}
    advice = _QuantiserAdvice()
    logging.getLogger().addFilter(advice)
    try:
        _written(target, lambda partial: quantize_dynamic(
            source, partial, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT}, **settings))
    finally:
        logging.getLogger().removeFilter(advice)


def cached_file(fingerprint: str, precision: str = "fp32") -> Path:
    """Where this machine's cache keeps the ONNX model of ``precision`` (present or not)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    folder = cache_root() / "onnx" / fingerprint
    if precision == "fp32":
        return folder / "model.onnx"
    tag = hashlib.sha256(json.dumps(INT8_SETTINGS, sort_keys=True).encode()).hexdigest()[:8]
    return folder / f"model.int8-{tag}.onnx"


def model_file(model_path: Path, fingerprint: str, precision: str = "fp32") -> Path:
    """The cached ONNX model of ``precision``, exported (and quantised) on first use."""
    fp32, target = cached_file(fingerprint), cached_file(fingerprint, precision)
    if not fp32.is_file() and not target.is_file():
        log.info("exporting %s to ONNX (once) into %s", model_path, fp32.parent)
        _export(model_path, fp32)
    if not target.is_file():
        log.info("quantising %s to int8 (once)", fp32)
        _quantize(fp32, target)
    return target


def install(fingerprint: str, precision: str, data: bytes) -> Path:
    """Put a model exported on another machine into this machine's cache, where :func:`model_file`
    finds it: a worker of a cluster then runs the driver's exact file without exporting its own."""
    target = cached_file(fingerprint, precision)
    if not target.is_file():
        _written(target, lambda partial: partial.write_bytes(data))
    return target


class OnnxTransformer:
    """Mean-pooled, normalised sentence vectors from the exported transformer.

    Parameters
    ----------
    model_path:
        The sentence-transformers model folder.
    fingerprint:
        Identifies the model; names its cache folder.
    threads:
        Cores to use; ``None`` uses every core.
    precision:
        ``"fp32"`` for the fused float model (torch's vectors), ``"int8"`` for its int8 quantisation.
    passes:
        Forward passes run at once, each on ``threads // passes`` intra-op threads. A pass of one short
        text is too small to share out among cores (they wait on each other after every operator), so
        one text a pass runs best as one pass per core side by side; a pass's output is the same
        bit for bit whichever thread runs it.
    """

    def __init__(self, model_path: Path, fingerprint: str, threads: int | None = None,
                 precision: str = "fp32", passes: int = 1) -> None:
        import onnxruntime

        self.path = model_file(model_path, fingerprint, precision)
        self.precision = precision
        cores = threads or os.cpu_count() or 1
        self.passes = max(1, min(passes, cores))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, cores // self.passes)
        # One operator at a time within a pass: a second pool only competes for the cores.
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        self.session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        self._pool = ThreadPoolExecutor(self.passes, thread_name_prefix="onnx-pass") if self.passes > 1 else None

    def __call__(self, features: dict[str, Any]) -> np.ndarray:
        """``features`` as the model's tokenizer returns them (padded tensors or arrays)."""
        inputs = {name: np.asarray(features[name], dtype=np.int64) for name in INPUTS if name in features}
        if "token_type_ids" not in inputs:
            inputs["token_type_ids"] = np.zeros_like(inputs["input_ids"])
        hidden = self.session.run(None, inputs)[0]
        mask = inputs["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)

    def each(self, batches: Iterable[dict[str, Any]]) -> Iterator[np.ndarray]:
        """The vectors of each batch of features, in order, :attr:`passes` of them computed at once
        (ONNX Runtime runs a session from several threads and lets go of the GIL while it does)."""
        if self._pool is None:
            return map(self, batches)
        return self._pool.map(self, batches)
