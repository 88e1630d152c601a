"""The embedding model's transformer run by ONNX Runtime instead of torch.

The sentence-transformers model (a BERT-style transformer, mean pooling, normalisation) is exported once
with ``torch.onnx.export``, its attention and layer-norm subgraphs fused by ONNX Runtime's transformer
optimiser, and cached by model fingerprint. Tokenisation stays the model's own, so the vectors equal
torch's to within float rounding (cosine ≥ 0.9999), while a short query embeds about five times faster
on a CPU.

Known traps, handled here: the example batch used for export contains padding, or the attention mask is
folded away and padded batches come out wrong without an error; attention fusion needs the eager
attention implementation at export.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


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

    target.parent.mkdir(parents=True, exist_ok=True)
    raw = target.with_name(f"raw.{os.getpid()}.onnx")
    fused = target.with_name(f"fused.{os.getpid()}.onnx")
    try:
        axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about Python control flow in the model
            torch.onnx.export(LastHiddenState(), tuple(example[name] for name in INPUTS), str(raw),
                              input_names=list(INPUTS), output_names=["last_hidden_state"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        optimised = optimizer.optimize_model(str(raw), model_type="bert", num_heads=config.num_attention_heads,
                                             hidden_size=config.hidden_size)
        optimised.save_model_to_file(str(fused))
        os.replace(fused, target)
    finally:
        raw.unlink(missing_ok=True)
        fused.unlink(missing_ok=True)


class OnnxTransformer:
    """Mean-pooled, normalised sentence vectors from the exported transformer.

    Parameters
    ----------
    model_path:
        The sentence-transformers model folder.
    fingerprint:
        Identifies the model; names its cache folder.
    threads:
        Intra-op threads; ``None`` uses every core.
    """

    def __init__(self, model_path: Path, fingerprint: str, threads: int | None = None) -> None:
        import onnxruntime

        target = cache_root() / "onnx" / fingerprint / "model.onnx"
        if not target.is_file():
            log.info("exporting %s to ONNX (once) into %s", model_path, target.parent)
            _export(model_path, target)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        self.session = onnxruntime.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
        self.path = target

    def __call__(self, features: dict[str, Any]) -> np.ndarray:
        """``features`` as the model's tokenizer returns them (padded tensors or arrays)."""
        inputs = {name: np.asarray(features[name], dtype=np.int64) for name in INPUTS if name in features}
        if "token_type_ids" not in inputs:
            inputs["token_type_ids"] = np.zeros_like(inputs["input_ids"])
        hidden = self.session.run(None, inputs)[0]
        mask = inputs["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        return (pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)).astype(np.float32)
