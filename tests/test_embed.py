"""The embedder's ONNX backend against sentence-transformers' torch model."""

from __future__ import annotations

import numpy as np

from index import Embedder


def test_onnx_backend_gives_torch_vectors_for_padded_batches(embedder: Embedder):
    torch_backend = Embedder(backend="torch")
    texts = ["short", "A much longer paragraph about the harbour, the storm and the boats that stayed in port.",
             "Mid-length text about an election."]
    assert embedder.backend == "onnx"
    together = embedder.encode(texts)
    alone = np.stack([embedder.encode([t])[0] for t in texts])
    assert (together * torch_backend.encode(texts)).sum(axis=1).min() > 0.9999
    assert (together * alone).sum(axis=1).min() > 0.9999
