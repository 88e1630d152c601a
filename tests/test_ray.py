"""Embedding on a local Ray instance of 2 CPUs: the seeds and 200 BBC articles get a local ingest's
vectors and ids; a driver killed after its first commit resumes without embedding anything twice; the
command line stays quiet; joining a cluster that is not there, or lacking Ray, is one line."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from index import Article, Embedder, Store, read_paths
from index.check import check
from topics.cli import main

from .conftest import ROOT, SEEDS, SHARED_DATA, needs_shared

BBC = SHARED_DATA / "bbc-news" / "bbc"
BATCH = 256  # paragraphs per commit: several batches in flight at once
needs_ray = pytest.mark.skipif(find_spec("ray") is None, reason="ray is not installed: pip install 'topics[ray]'")

CHILD = """
import os, signal, sys
from index import Embedder, Store, read_paths
from index.ray_embed import RayExecutor

store_path, batch, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
store = Store.open(store_path, model=Embedder(backend="onnx-int8", batch_size=32), create=True)
executor = RayExecutor("local", num_cpus=2)
clean = store.builds.remove_stale_files

def first_commit_then_die():
    clean()
    print(store.stats().vectors, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # later batches are on the workers

store.builds.remove_stale_files = first_commit_then_die
store.add(read_paths(paths).articles, progress=False, batch_paragraphs=batch, executor=executor)
"""


def _paths() -> list[Path]:
    """The seed article and 200 BBC articles, 40 of each label."""
    return [SEEDS, *(file for label in sorted(BBC.iterdir()) if label.is_dir()
                     for file in sorted(label.glob("*.txt"))[:40])]


def _articles() -> list[Article]:
    return read_paths(_paths()).articles


@pytest.fixture(scope="module")
def cluster():
    from index.ray_embed import RayExecutor

    with RayExecutor("local", num_cpus=2) as executor:
        yield executor


@pytest.fixture(scope="module")
def batched(environment: None) -> Embedder:
    """int8 in forward batches of 32, whose vectors depend on their batch mates: the same vectors then
    prove that the workers formed the driver's very batches."""
    return Embedder(backend="onnx-int8", batch_size=32)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory, batched: Embedder) -> Store:
    store = Store.open(tmp_path_factory.mktemp("local") / "store", model=batched, create=True)
    store.add(_articles(), progress=False, batch_paragraphs=BATCH)
    return store


def _same_vectors(store: Store, reference: Store) -> None:
    """Same paragraph ids with the same texts, the same links, and vectors at cosine ≥ 0.9999."""
    ours, theirs = store.snapshot(), reference.snapshot()
    assert np.array_equal(ours.ids, theirs.ids)
    assert store.paragraph_texts(ours.ids) == reference.paragraph_texts(theirs.ids)
    assert store.placements(article_ids=store.article_ids()) == reference.placements(article_ids=reference.article_ids())
    cosines = (ours.vectors * theirs.vectors).sum(axis=1)
    assert cosines.min() >= 0.9999, float(cosines.min())


@needs_ray
@needs_shared
def test_ray_ingest_gives_the_local_vectors(cluster, local: Store, tmp_path: Path, batched: Embedder):
    with Store.open(tmp_path / "store", model=batched, create=True) as store:
        report = store.add(_articles(), progress=False, batch_paragraphs=BATCH, executor=cluster)
        assert cluster.workers == 2 and report.added == local.article_count() > 195
        assert report.paragraphs_embedded == local.stats().vectors > 4 * BATCH
        _same_vectors(store, local)
        assert check(store).ok


@needs_ray
@needs_shared
def test_killed_driver_resumes_without_embedding_anything_twice(cluster, local: Store, tmp_path: Path,
                                                                 batched: Embedder):
    path = tmp_path / "store"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(BATCH), *map(str, _paths())], cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = child.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # the Ray processes the killed driver left behind
    assert child.returncode == -signal.SIGKILL, err
    committed = int(out.split()[-1])
    total = local.stats().vectors
    with Store.open(path, model=batched) as store:
        assert store.stats().vectors == committed and 0 < committed < total and check(store).ok
        report = store.add(_articles(), progress=False, batch_paragraphs=BATCH, executor=cluster)
        assert report.paragraphs_embedded == total - committed  # what was committed is not embedded again
        assert report.added + report.unchanged == local.article_count() and report.unchanged > 0
        _same_vectors(store, local)
        assert check(store).ok


@needs_ray
def test_cli_ingests_on_ray_quietly(tmp_path: Path):
    """Nothing of Ray's reaches the terminal; the summary is a local ingest's."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "topics", "ingest", str(SEEDS), "--store", str(tmp_path / "s"),
                           "--ray", "local", "--workers", "1", "--quiet"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.splitlines() == ["read 1 article from 1 file", "added 1, updated 0, unchanged 0",
                                            f"embedded 11 paragraphs, reused 0; store {tmp_path / 's'} holds "
                                            "1 article, 11 vectors"]


@needs_ray
def test_an_unreachable_cluster_is_one_line_and_no_store(tmp_path: Path):
    with socket.socket() as probe:  # a port on this machine that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "topics", "ingest", str(SEEDS), "--store", str(tmp_path / "s"),
                           "--ray", f"ray://127.0.0.1:{port}"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        f"topics: error: cannot reach the Ray cluster at ray://127.0.0.1:{port} (Connection refused); start one "
        "with `ray start --head` on the head machine and `ray start --address=HEAD:6379` on the others, or embed "
        "on this machine alone with --ray local"]
    assert not (tmp_path / "s").exists()


def test_without_ray_the_flag_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails, as where it is not installed
    monkeypatch.delitem(sys.modules, "index.ray_embed", raising=False)
    status = main(["ingest", str(SEEDS), "--store", str(tmp_path / "s"), "--ray", "local"])
    captured = capsys.readouterr()
    assert status == 1 and captured.err.splitlines() == [
        "topics: error: embedding on Ray needs the ray package, which is not installed; install it with: "
        "pip install 'topics[ray]'"]
    assert "embedded" not in captured.out and not (tmp_path / "s").exists()


def test_workers_without_ray_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["ingest", str(SEEDS), "--store", str(tmp_path / "s"), "--workers", "2"]) == 1
    assert capsys.readouterr().err.strip() == "topics: error: --workers goes with --ray ADDRESS"


@needs_ray
def test_a_model_folder_travels_to_the_workers_with_its_onnx_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   embedder: Embedder):
    """A worker rebuilds a model it does not have from the shipped files, runs the driver's ONNX file
    installed in its own cache without exporting, and makes the driver's vectors."""
    import shutil

    from index import onnx
    from index.embed import bundled_model_path
    from index.ray_embed import ModelBundle

    folder = tmp_path / "my-model"
    shutil.copytree(bundled_model_path(), folder)
    driver = Embedder(folder, backend="onnx-int8")
    bundle = ModelBundle.of(driver)
    assert bundle.files is not None and "model.safetensors" in bundle.files and bundle.onnx_model
    assert ModelBundle.of(embedder).files is None  # the bundled model: every worker has its package
    monkeypatch.setenv("TOPICS_CACHE", str(tmp_path / "worker-cache"))
    monkeypatch.setattr(onnx, "_export", lambda *a: pytest.fail("a worker exported the model"))
    worker = bundle.embedder(threads=1)
    assert worker.model_id == driver.model_id and worker.path != driver.path
    assert worker.onnx_file.is_relative_to(tmp_path / "worker-cache")
    texts = ["The harbour closed after the storm.", "Parliament passed the budget on Tuesday night."]
    assert np.allclose(worker.encode(texts), driver.encode(texts), atol=1e-5)
