"""A sentence-transformers model's tokenizer, read from its folder with the ``tokenizers`` package alone.

Loading sentence-transformers (and torch under it) to tokenise a query costs seconds; the model's
``tokenizer.json`` holds the whole fast tokenizer, and the sentence-transformers config files say how the
model applies it (longest input, lower-casing). Batches are tokenised as sentence-transformers does:
special tokens added, truncated to the model's longest input, padded to the longest text of the batch.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

_FALLBACK_LENGTH = 512  # BERT's positions, for a model folder that states no length at all


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def max_input_tokens(model_path: Path) -> int:
    """Longest input the model reads, special tokens included: ``max_seq_length`` of
    ``sentence_bert_config.json``, else the tokenizer's and the transformer's limit, whichever is less."""
    stated = _read(model_path / "sentence_bert_config.json").get("max_seq_length")
    if stated:
        return int(stated)
    limits = [_read(model_path / "tokenizer_config.json").get("model_max_length"),
              _read(model_path / "config.json").get("max_position_embeddings")]
    return min((int(v) for v in limits if isinstance(v, int | float) and 0 < v < 1e9), default=_FALLBACK_LENGTH)


class ModelTokenizer:
    """The model's fast tokenizer: padded model inputs, token counts and token spans.

    Two tokenizer objects are used, one set up for model input and one plain (made on first use: a
    query needs only the first), because a ``tokenizers`` object carries its truncation and padding
    settings and changing them per call is not thread-safe.
    """

    def __init__(self, model_path: Path) -> None:
        self.path = model_path
        self.max_length = max_input_tokens(model_path)
        self._batch = self._load()
        self._batch.enable_truncation(self.max_length, strategy="longest_first")
        pad = self._batch.padding or {}
        self._batch.enable_padding(pad_id=pad.get("pad_id", 0), pad_type_id=pad.get("pad_type_id", 0),
                                   pad_token=pad.get("pad_token", "[PAD]"))

    def _load(self) -> Tokenizer:
        """The tokenizer of ``tokenizer.json``, lower-casing first where the model says ``do_lower_case``
        (as sentence-transformers applies it: before the model's own normalisation)."""
        from tokenizers import Tokenizer, normalizers

        tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        if _read(self.path / "sentence_bert_config.json").get("do_lower_case"):
            rules = [normalizers.Lowercase()] + ([tokenizer.normalizer] if tokenizer.normalizer else [])
            tokenizer.normalizer = normalizers.Sequence(rules)
        return tokenizer

    @functools.cached_property
    def _plain(self) -> Tokenizer:
        tokenizer = self._load()
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    @staticmethod
    def available(model_path: Path) -> bool:
        return (model_path / "tokenizer.json").is_file()

    def features(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Model inputs of one batch: ``input_ids``, ``attention_mask``, ``token_type_ids`` (int64)."""
        encoded = self._batch.encode_batch(list(texts))
        return {"input_ids": np.array([e.ids for e in encoded], np.int64),
                "attention_mask": np.array([e.attention_mask for e in encoded], np.int64),
                "token_type_ids": np.array([e.type_ids for e in encoded], np.int64)}

    def counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text, special tokens excluded, however long."""
        return [len(e.ids) for e in self._plain.encode_batch(list(texts), add_special_tokens=False)]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character span of each token of ``text``, special tokens excluded."""
        return [tuple(span) for span in self._plain.encode(text, add_special_tokens=False).offsets]
