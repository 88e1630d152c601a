"""The candidate same-story pairs of the whole store, kept once per store generation.

Finding the pairs that may be one story takes every article: MinHash over every article's shingles,
every paragraph's nearest neighbours, and the pair filter (:mod:`index.pair_filter`), with the whole
archive's counts (:class:`StoryCounts`: the template shingles, how many articles name each name) that
judging reads too: a minute or more on a large archive. ``topics show`` and ``GET /v1/articles/{id}``
list one article's pairs, so they read these tables and judge only that article's candidates. The
tables are kept in memory for the threads of one process (:class:`StoryCache`) and on disk as derived
files, ``stories.<generation>.npz`` (arrays only, no pickles) beside ``stories.<generation>.json``,
which records the generation, the threshold and neighbours the candidates were found with, and the
file's SHA-256. Any write makes a new generation. ``topics duplicates`` then makes the tables again,
and the old files are removed. One article's pairs are read from the older tables (:class:`StoryView`)
while few articles have changed since: no more than a stock phrase needs articles (see
:func:`index.stories.stock_floor`), so the older counts miss no stock phrase those articles brought. The
pairs with an article added or written anew since are found from that article's own neighbourhood.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .arrays import unique_sorted
from .builds import FILES_KEY
from .damage import DamagedFile, DiskFull, reading
from .files import atomic_write, file_sha256, load_checked_json, remove_path, save_checked_json
from .stories import StoryCounts, StoryIndex

@dataclass(frozen=True)
class StoryTables:
    """The article ids (sorted: article i is ``keys[i]``), the archive's counts, and the candidate pairs
    of articles twice, as keys ``i * len(keys) + j`` sorted, once with the first article as ``i`` and
    once with the second, so one article's pairs are two binary searches away; found at ``threshold``
    with ``neighbours`` nearest paragraphs."""

    generation: int
    threshold: float
    neighbours: int
    keys: list[str]
    counts: StoryCounts
    by_first: np.ndarray
    by_second: np.ndarray
    fingerprints: list[str] | None = None  # of each article in ``keys`` (None: tables saved without them)

    @classmethod
    def of(cls, run: tuple[int, float, int], index: StoryIndex, pairs: np.ndarray,
           fingerprints: dict[str, str]) -> StoryTables:
        """From the whole store's story index and its candidate pairs (keys over ``index.keys``), found in
        ``run`` (generation, threshold, neighbours), and each article's fingerprint."""
        count = max(len(index.keys), 1)
        first, second = np.divmod(pairs, count)
        return cls(*run, index.keys, index.counts, np.sort(pairs), np.sort(second * count + first),
                   [fingerprints[key] for key in index.keys])

    @property
    def run(self) -> tuple[int, float, int]:
        return self.generation, self.threshold, self.neighbours

    def partners(self, article_id: str) -> list[str]:
        """The articles paired with ``article_id``, sorted (none for an article not listed)."""
        at = bisect_left(self.keys, article_id)
        if at == len(self.keys) or self.keys[at] != article_id:
            return []
        count = len(self.keys)
        found = [table[slice(*np.searchsorted(table, [at * count, (at + 1) * count]))] % count
                 for table in (self.by_first, self.by_second)]
        return [self.keys[i] for i in unique_sorted(np.concatenate(found)).tolist()]

    def changes(self, ids: list[str], fingerprints: list[str]) -> tuple[frozenset[str], frozenset[str]]:
        """The articles of ``ids`` (with their ``fingerprints``) added or written anew since these tables
        were made, and the articles of the tables no longer stored."""
        made = dict(zip(self.keys, self.fingerprints or []))
        changed = frozenset(aid for aid, printed in zip(ids, fingerprints) if made.get(aid) != printed)
        return changed, frozenset(made.keys() - set(ids))

    def save(self, folder: Path) -> None:
        """Write the tables as this generation's files and remove those of other generations. A store
        that cannot be written to (read-only, full) keeps only the tables in memory."""
        data, settings = _paths(folder, self.generation)
        names = sorted(self.counts.names)
        arrays = {"template": self.counts.template, "by_first": self.by_first, "by_second": self.by_second,
                  "name_counts": np.array([self.counts.names[n] for n in names], np.int64),
                  **_strings("keys", self.keys), **_strings("names", names),
                  **_strings("fingerprints", self.fingerprints or [])}
        try:
            atomic_write(data, lambda target: _save_npz(target, arrays))
            save_checked_json(settings, {"generation": self.generation, "threshold": self.threshold,
                                         "neighbours": self.neighbours, "articles": self.counts.articles,
                                         FILES_KEY: {data.name: file_sha256(data)}})
        except (OSError, DiskFull):
            return
        for file in folder.glob("stories.*"):
            if file.name not in (data.name, settings.name):
                remove_path(file)

    @classmethod
    def load(cls, folder: Path, run: tuple[int, float, int]) -> StoryTables | None:
        """The tables saved for ``run`` (generation, threshold, neighbours); ``None`` when there are none,
        or they are of another threshold, or damaged (they are made again)."""
        data, settings = _paths(folder, run[0])
        if not settings.is_file():
            return None
        try:
            info = load_checked_json(settings)
            if (info["generation"], info["threshold"], info["neighbours"]) != run:
                return None
            with reading(data), np.load(data, allow_pickle=False) as saved:
                arrays = {name: saved[name] for name in saved.files}
            names = _unstrings(arrays, "names")
            counts = StoryCounts(int(info["articles"]), arrays["template"],
                                 dict(zip(names, arrays["name_counts"].tolist())))
            keys = _unstrings(arrays, "keys")
            fingerprints = _unstrings(arrays, "fingerprints") if "fingerprints_text" in arrays else None
            return cls(*run, keys, counts, arrays["by_first"], arrays["by_second"],
                       fingerprints if fingerprints is not None and len(fingerprints) == len(keys) else None)
        except (DamagedFile, KeyError, ValueError, TypeError):
            return None

    @staticmethod
    def saved(folder: Path, run: tuple[int, float, int]) -> bool:
        """Whether tables are saved for ``run``'s generation (of any threshold)."""
        return all(path.is_file() for path in _paths(folder, run[0]))

    @classmethod
    def latest(cls, folder: Path, run: tuple[int, float, int]) -> StoryTables | None:
        """The newest tables saved for a generation before ``run``'s, with its threshold and neighbours
        and each article's fingerprint; ``None`` when there are none."""
        generation, threshold, neighbours = run
        saved = sorted((int(m.group(1)) for f in folder.glob("stories.*.json")
                        if (m := re.fullmatch(r"stories\.(\d+)\.json", f.name))), reverse=True)
        for older in (g for g in saved if g < generation):
            tables = cls.load(folder, (older, threshold, neighbours))
            if tables is not None and tables.fingerprints is not None:
                return tables
        return None


@dataclass(frozen=True)
class StoryView:
    """The story tables as they stand for one store generation (``run``: generation, threshold,
    neighbours): made for it, or for an earlier generation, with the articles ``changed`` (added or
    written anew) and ``removed`` since."""

    run: tuple[int, float, int]
    tables: StoryTables
    changed: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()

    @property
    def exact(self) -> bool:
        """Whether the tables were made for this very generation."""
        return self.tables.run == self.run


def damaged_tables(folder: Path) -> list[tuple[Path, str]]:
    """Each saved story-tables file that does not match the SHA-256 recorded when it was written, or
    whose record is damaged, with why; ``topics repair`` removes them (they are made again)."""
    found = []
    for settings in sorted(folder.glob("stories.*.json")):
        data = settings.with_suffix(".npz")
        try:
            recorded = load_checked_json(settings).get(FILES_KEY, {}).get(data.name)
            with reading(data):
                if file_sha256(data) != recorded:
                    found.append((data, "its bytes do not match the checksum recorded when it was written"))
        except DamagedFile as exc:
            found.append((exc.path, exc.reason))
    return found


class StoryCache:
    """The view of the latest generation read, shared by the threads of one store; one thread makes it
    while the others wait for its answer."""

    def __init__(self) -> None:
        self.view: StoryView | None = None
        self.lock = threading.Lock()


def _paths(folder: Path, generation: int) -> tuple[Path, Path]:
    return folder / f"stories.{generation}.npz", folder / f"stories.{generation}.json"


def _save_npz(target: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(target, "wb") as handle:
        np.savez(handle, **arrays)


def _strings(name: str, values: list[str]) -> dict[str, np.ndarray]:
    """Strings as one UTF-8 text and where each ends in it (in characters): any string, no pickle."""
    text = "".join(values)
    return {f"{name}_text": np.frombuffer(text.encode("utf-8"), np.uint8),
            f"{name}_ends": np.cumsum([len(v) for v in values], dtype=np.int64)}


def _unstrings(arrays: dict[str, np.ndarray], name: str) -> list[str]:
    text = arrays[f"{name}_text"].tobytes().decode("utf-8")
    ends = arrays[f"{name}_ends"].tolist()
    return [text[start:end] for start, end in zip([0, *ends[:-1]], ends)]
