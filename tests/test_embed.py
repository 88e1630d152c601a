"""The embedder's ONNX backends against sentence-transformers' torch model."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from index import Embedder
from index.embed import bundled_model_path
from index.onnx import cache_root

TEXTS = ["short", "A much longer paragraph about the harbour, the storm and the boats that stayed in port.",
         "Mid-length text about an election."]


@pytest.fixture(scope="module")
def int8() -> Embedder:
    return Embedder(backend="onnx-int8")


@pytest.fixture(scope="module")
def fp32() -> Embedder:
    return Embedder(backend="onnx")


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_int8_is_the_default(embedder: Embedder):
    assert Embedder().backend == embedder.backend == "onnx-int8" and embedder.batch_size == 1


def test_onnx_backend_gives_torch_vectors_for_padded_batches(fp32: Embedder):
    torch_backend = Embedder(backend="torch")
    assert fp32.backend == "onnx" and fp32.batch_size == 32
    together = fp32.encode(TEXTS)
    alone = np.stack([fp32.encode([t])[0] for t in TEXTS])
    assert cosines(together, torch_backend.encode(TEXTS)).min() > 0.9999
    assert cosines(together, alone).min() > 0.9999


def test_int8_vectors_are_close_to_float_ones_and_their_own(fp32: Embedder, int8: Embedder):
    assert int8.backend == "onnx-int8"
    together = int8.encode(TEXTS)
    alone = np.stack([int8.encode([t])[0] for t in TEXTS])
    assert together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1, atol=1e-5)
    assert cosines(together, fp32.encode(TEXTS)).min() >= 0.98
    # One text a forward pass: a vector does not depend on what else is embedded in the same call.
    assert cosines(together, alone).min() > 0.9999
    # In batches, activations are quantised with one scale per batch, so batch mates (and their
    # padding) move a vector a little; a padding bug would move it far.
    batched = Embedder(backend="onnx-int8", batch_size=32)
    assert cosines(batched.encode(TEXTS), alone).min() >= 0.98


def test_model_id_tells_int8_vectors_apart(fp32: Embedder, int8: Embedder):
    assert Embedder(backend="torch").model_id == fp32.model_id
    assert int8.model_id == f"{fp32.model_id}+int8"
    assert Embedder(backend="onnx-int8", batch_size=32).model_id == int8.model_id  # batching is no new kind


def test_int8_model_is_quantised_once_and_reused(int8: Embedder):
    int8.encode(["load the model"])
    path = int8._onnx.path
    written = path.stat().st_mtime_ns
    again = Embedder(backend="onnx-int8")
    again.encode(["load it again"])
    assert again._onnx.path == path and path.name != "model.onnx"
    assert path.stat().st_mtime_ns == written
    assert not list(path.parent.glob("*.partial.onnx"))


def test_int8_falls_back_to_torch_where_onnx_cannot_reproduce_the_model(tmp_path: Path):
    model = tmp_path / "cls-model"
    shutil.copytree(bundled_model_path(), model, ignore=shutil.ignore_patterns("*.safetensors"))
    (model / "model.safetensors").symlink_to(bundled_model_path() / "model.safetensors")
    pooling = model / "1_Pooling" / "config.json"
    pooling.write_text(json.dumps({**json.loads(pooling.read_text()), "pooling_mode_cls_token": True,
                                   "pooling_mode_mean_tokens": False}))
    embedder = Embedder(model, backend="onnx-int8")
    assert embedder.backend == "torch"
    assert not embedder.model_id.endswith("+int8")


@pytest.mark.filterwarnings("ignore:Cannot enable progress bars")  # the session's environment turns the hub's off
def test_loading_a_torch_model_draws_no_library_bar_even_where_its_bars_are_on(capfd: pytest.CaptureFixture[str]):
    """Entry points turn the hub's bars off for the process; a library user's process keeps them, so the
    load itself must not draw transformers' "Loading weights" bar, and leaves the setting as it was."""
    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.enable_progress_bar()
    try:
        assert Embedder(backend="torch").model is not None
        assert "Loading weights" not in "".join(capfd.readouterr())
        assert hf_logging.is_progress_bar_enabled()
    finally:
        (hf_logging.enable_progress_bar if shown else hf_logging.disable_progress_bar)()


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="onnx-int8"):
        Embedder(backend="int4")


def test_onnx_exports_go_to_the_session_cache_not_the_users(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory):
    embedder.encode(["warm"])
    exports = list(cache_root().glob("onnx/*/model.onnx"))
    assert exports and cache_root().is_relative_to(tmp_path_factory.getbasetemp())


def test_onnx_embedder_tokenises_and_embeds_as_sentence_transformers_without_loading_it(embedder: Embedder):
    """The ONNX path reads tokenizer.json and the config files itself; its inputs, token counts, spans and
    vectors are sentence-transformers' own."""
    texts = [*TEXTS, "  spaces around  ", "ÜBER Café naïve İstanbul 中文 😀 “quotes”", "word " * 400, "\ttab\nline"]
    standalone = Embedder(backend="onnx")
    vectors = standalone.encode(texts)
    assert standalone._model is None
    reference = Embedder(backend="torch")
    features = reference.model.preprocess(texts)
    for name, values in standalone.tokenizer.features(texts).items():
        assert np.array_equal(values, features[name].numpy()), name
    assert standalone.count_tokens(texts) == reference.count_tokens(texts)
    assert standalone.token_spans(texts[5]) == reference.token_spans(texts[5])
    assert (standalone.dim, standalone.max_tokens) == (reference.dim, reference.max_tokens)
    expected = reference.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert cosines(vectors, expected).min() > 1 - 1e-5


def test_int8_vectors_are_their_texts_own_bit_for_bit_whatever_their_batch_mates(int8: Embedder):
    """One text a forward pass, passes side by side on the cores: a vector equals, bit for bit, the one
    its text gets alone, in any company, in any order, on any number of passes at once."""
    alone = np.stack([int8.encode([t])[0] for t in TEXTS])
    assert int8.passes == (os.cpu_count() or 1)
    assert np.array_equal(int8.encode(TEXTS), alone)
    mates = ["Other news of the day.", *reversed(TEXTS), "The storm moved east overnight, closing the port."]
    assert np.array_equal(int8.encode(mates)[1:4], alone[::-1])
    for passes in (1, 3):
        assert np.array_equal(Embedder(backend="onnx-int8", passes=passes).encode(TEXTS), alone)


def test_passes_run_side_by_side_only_for_one_text_a_pass(fp32: Embedder):
    assert fp32.passes == 1 and Embedder(backend="onnx-int8", threads=1).passes == 1
    assert Embedder(backend="onnx", batch_size=1, threads=2).passes == 2
