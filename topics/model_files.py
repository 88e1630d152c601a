"""The topic model's files, written with checksums and read back only once verified.

Fit n is ``model.n.json`` (which records the SHA-256 of each of the fit's ``.npy`` files and its own)
and its arrays; ``current.json`` (checksummed too) names the fit in force. :func:`inspect_fit` reads a
fit and says what is wrong with each of its files: missing, a folder, not UTF-8 or JSON, bytes that do
not match their checksum, arrays of the wrong type or shape for the topics the JSON lists. Every reader
of the model goes through it, so damage is one :class:`~index.damage.DamagedFile` naming the file and
``topics repair``, never a traceback and never arrays used as they are.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.damage import DamagedFile, reading
from index.errors import Fix
from index.files import file_sha256, load_checked_json, save_checked_json

FOLDER = "topics"
CURRENT = "current.json"
ARRAYS = ("centroids", "paragraphs", "assignments", "confidence")
STORY_ARRAYS = ("story_centroids", "story_assignments", "story_confidence")
FILES_KEY = "files"  # model.n.json's record of each array file's SHA-256
UNRECORDED = "no checksum recorded (written by an older version); repair records one"


def model_path(folder: Path, n: int) -> Path:
    return folder / f"model.{n}.json"


def array_path(folder: Path, name: str, n: int) -> Path:
    return folder / f"{name}.{n}.npy"


def fit_numbers(folder: Path) -> list[int]:
    """The fits with any file in ``folder`` (whatever their state), in order."""
    if not folder.is_dir():
        return []
    found = set()
    for entry in folder.iterdir():
        parts = entry.name.split(".")
        if len(parts) == 3 and parts[1].isdigit() and parts[2] in ("json", "npy"):
            found.add(int(parts[1]))
    return sorted(found)


def fit_files(folder: Path, n: int) -> list[Path]:
    """Every file of fit ``n`` on disk (damaged ones and folders in their place included)."""
    return [entry for entry in sorted(folder.iterdir()) if entry.name.split(".")[1:2] == [str(n)]] \
        if folder.is_dir() else []


def repair_fix(store_path: Path) -> Fix:
    return Fix("repair", {"store": str(store_path)})


def read_current(store_path: Path) -> int:
    """The number of the fit in force, from ``current.json``."""
    path = store_path / FOLDER / CURRENT
    document = load_checked_json(path, required=False, store=store_path)
    with reading(path, store_path):
        number = document["fit_number"]
        if not isinstance(number, int) or number < 1:
            raise ValueError(f"fit number {number!r}")
    return number


def write_current(store_path: Path, n: int) -> None:
    save_checked_json(store_path / FOLDER / CURRENT, {"fit_number": n})


def write_fit(folder: Path, n: int, document: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write fit ``n``'s arrays, then its JSON with their checksums (not yet the fit in force)."""
    from index import save_npy

    for name, array in arrays.items():
        save_npy(array_path(folder, name, n), array)
    sums = {array_path(folder, name, n).name: file_sha256(array_path(folder, name, n)) for name in arrays}
    save_checked_json(model_path(folder, n), {**document, FILES_KEY: sums})


@dataclass
class FitFiles:
    """A fit as read from disk: its JSON, its arrays, and what is wrong with each damaged file."""

    number: int
    document: dict[str, Any] | None = None
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    problems: dict[Path, str] = field(default_factory=dict)
    unrecorded: bool = False  # sound, but written before checksums were kept

    @property
    def sound(self) -> bool:
        return self.document is not None and not self.problems

    def raise_first(self, store_path: Path) -> None:
        for path, problem in self.problems.items():
            raise DamagedFile(path, problem, repair_fix(store_path))


def inspect_fit(store_path: Path, n: int) -> FitFiles:
    """Read fit ``n`` and verify each of its files: the JSON's checksum, each array's recorded checksum,
    then the arrays' types and shapes against the topics the JSON lists."""
    folder = store_path / FOLDER
    found = FitFiles(n)
    try:
        found.document = load_checked_json(model_path(folder, n), required=False, store=store_path)
    except DamagedFile as exc:
        found.problems[exc.path] = exc.reason
    sums: dict[str, str] | None = None if found.document is None else found.document.get(FILES_KEY)
    found.unrecorded = found.document is not None and sums is None
    names = _array_names(folder, n, found.document)
    for name in names:
        path = array_path(folder, name, n)
        try:
            with reading(path, store_path):
                if sums is not None and file_sha256(path) != sums.get(path.name):
                    raise DamagedFile(path, "its bytes do not match the checksum recorded when it was written")
                found.arrays[name] = np.load(path, allow_pickle=False)
        except DamagedFile as exc:
            found.problems[exc.path] = exc.reason
    if found.document is not None and not found.problems:
        for name, problem in _shape_problems(found.document, found.arrays).items():
            found.problems[array_path(folder, name, n) if name in found.arrays else model_path(folder, n)] = problem
    return found


def _array_names(folder: Path, n: int, document: dict[str, Any] | None) -> tuple[str, ...]:
    """The arrays fit ``n`` should have: as its JSON says, else those whose files are there."""
    if document is not None:
        return ARRAYS + (STORY_ARRAYS if document.get("stories") else ())
    present = any(array_path(folder, name, n).exists() for name in STORY_ARRAYS)
    return ARRAYS + (STORY_ARRAYS if present else ())


def _shape_problems(document: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """What is wrong with the arrays (or the JSON, under "model") for the topics the JSON lists."""
    try:
        topics = [int(t["id"]) for t in document["topics"]]
        stories = [int(t["id"]) for t in document.get("stories", [])]
        for key in ("params", "corpus_hash", "embedding_model", "hierarchy", "history"):
            document[key]
        float(document["params"]["min_confidence"])
    except (KeyError, TypeError, ValueError, IndexError):
        return {"model": "its JSON lacks the fields of a topic model"}
    rows = len(arrays["paragraphs"])
    expected = {"centroids": (np.float32, 2, len(topics)), "paragraphs": (np.int64, 1, rows),
                "assignments": (np.int64, 1, rows), "confidence": (np.float32, 1, rows),
                "story_centroids": (np.float32, 2, len(stories)), "story_assignments": (np.int64, 1, rows),
                "story_confidence": (np.float32, 1, rows)}
    problems = {}
    for name, array in arrays.items():
        dtype, ndim, length = expected[name]
        if array.dtype != dtype or array.ndim != ndim or len(array) != length:
            problems[name] = (f"holds {array.dtype} of shape {array.shape}; the fit needs {length} rows of "
                              f"{np.dtype(dtype)}")
    if problems:
        return problems
    ids = arrays["paragraphs"]
    checks = {"paragraphs": bool(np.all(np.diff(ids) > 0)),
              "assignments": bool(np.isin(arrays["assignments"], topics + [-1]).all()),
              "confidence": bool(np.isfinite(arrays["confidence"]).all()),
              "centroids": bool(np.isfinite(arrays["centroids"]).all())}
    if "story_assignments" in arrays:
        checks["story_assignments"] = bool(np.isin(arrays["story_assignments"], stories + [-1]).all())
        checks["story_centroids"] = bool(np.isfinite(arrays["story_centroids"]).all()) and \
            arrays["story_centroids"].shape[1:] == arrays["centroids"].shape[1:]
    return {name: "its values are not those of a fit (ids out of order, unknown topics or not finite)"
            for name, fine in checks.items() if not fine}


def remove_fit(folder: Path, n: int) -> list[str]:
    """Delete every file of fit ``n`` (a folder in a file's place included); the names removed."""
    removed = []
    for entry in fit_files(folder, n):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry.name)
    return removed
