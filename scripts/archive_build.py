"""A newsroom archive of real text at any size, built once through the store's own ingest path.

Text: the paragraphs of four corpora under ``shared/data`` (BBC News articles, AG News items, ISAF press
releases, SciFact abstracts, grouped three sentences to a paragraph), those of 8 to 150 words that hold
a name or a number. A capped set of them are the *base* paragraphs, embedded once by the real model.

Variation: the paragraph stream passes over the base paragraphs again and again; pass 0 is the text as
written, and pass v swaps every name (a capitalised word inside a sentence) for the name v places further
along the sorted list of names of the same corpus, and adds v to every number. Within one base paragraph
each pass therefore gives a different text, so every paragraph is distinct while reading as real news.

Vectors: a variant gets its base paragraph's vector plus small Gaussian noise (sigma 0.02 per dimension,
renormalised; seeded by the text), as ``bench_scale.py`` tiles vectors; a title gets its article's first
paragraph's. :class:`ArchiveEmbedder` hands these to ``Store.add``, so BM25, catalogue, phrases,
segments and index are all built by the real code; any text it was not told about (none, when the
splitter keeps the paragraphs as given) is embedded by the real model.

Articles: five consecutive paragraphs of one pass. In pass 0 an article continues one source document;
in each later pass the paragraphs of each corpus come in a stride of their own (see :func:`pass_order`),
so an article is never a copy or an edited version of another (which would make every article one of
hundreds of near-duplicates) while its paragraphs stay of one corpus. Articles are dated evenly over
the five years 2019-2023 (in stream order, so later passes are later news), with the corpus as
``source`` and its section (BBC folder, AG class, ``defence``, ``science``) as ``desk``.
"""

from __future__ import annotations

import ast
import csv
import itertools
import json
import math
import re
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from index import Article, Embedder, Store
from index.articles import tidy_text

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PER_ARTICLE = 5
START, DAYS = date(2019, 1, 1), 5 * 365
NOISE = 0.02
AG_DESKS = {"1": "world", "2": "sport", "3": "business", "4": "tech"}
_NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][a-z]{2,}\b")
_NUMBER = re.compile(r"\b\d+\b")


@dataclass(frozen=True)
class Base:
    """A base paragraph: its text, the corpus it came from, its desk and its source document's title."""

    text: str
    corpus: str
    desk: str
    title: str


def _bbc() -> Iterator[Base]:
    for path in sorted((DATA / "bbc-news" / "bbc").glob("*/*.txt")):
        lines = [tidy_text(line) for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
        title, body = lines[0], [line for line in lines[1:] if line]
        yield from (Base(text, "BBC", path.parent.name, title) for text in body)


def _ag_news() -> Iterator[Base]:
    with open(DATA / "ag-news" / "test.csv", encoding="utf-8", newline="") as handle:
        rows = sorted(csv.reader(handle), key=lambda row: row[0])
    yield from (Base(tidy_text(row[2].replace("\\", " ")), "AG News", AG_DESKS[row[0]], tidy_text(row[1]))
                for row in rows)


def _isaf() -> Iterator[Base]:
    for line in (DATA / "isaf-press-releases" / "isaf_press_releases_ft_test.jsonl").read_text().splitlines():
        text = json.loads(line)["conversations"][1]["value"].split("\n", 1)[-1]
        paragraphs = [tidy_text(p) for p in text.splitlines() if p.strip()]
        yield from (Base(p, "ISAF", "defence", paragraphs[0][:80]) for p in paragraphs)


def _scifact() -> Iterator[Base]:
    csv.field_size_limit(10**8)
    with open(DATA / "scifact" / "corpus_train.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            sentences = [tidy_text(s) for s in ast.literal_eval(row["abstract"].replace("'\n '", "', '"))]
            for first in range(0, len(sentences), 3):
                yield Base(" ".join(sentences[first:first + 3]), "SciFact", "science", tidy_text(row["title"]))


def base_paragraphs(count: int) -> list[Base]:
    """``count`` distinct usable paragraphs, taken from the four corpora in turn (a quarter each, or
    what a corpus has) and kept in document order."""
    corpora = [_bbc(), _ag_news(), _isaf(), _scifact()]
    seen: set[str] = set()
    taken: list[list[Base]] = [[] for _ in corpora]
    share = -(-count // len(corpora))
    for slot, corpus in enumerate(corpora):
        for base in corpus:
            words = len(base.text.split())
            if 8 <= words <= 150 and (_NAME.search(base.text) or _NUMBER.search(base.text)) \
                    and base.text not in seen and len(taken[slot]) < share:
                seen.add(base.text)
                taken[slot].append(base)
    return [base for group in taken for base in group][:count]


class Variants:
    """Pass v of each base paragraph: names moved v places along its corpus's name list, numbers + v."""

    def __init__(self, bases: Sequence[Base]) -> None:
        names: dict[str, set[str]] = {}
        for base in bases:
            names.setdefault(base.corpus, set()).update(_NAME.findall(base.text + " " + base.title))
        self.names = {corpus: sorted(found) for corpus, found in names.items()}
        self.place = {corpus: {n: i for i, n in enumerate(found)} for corpus, found in self.names.items()}

    def of(self, text: str, corpus: str, shift: int) -> str:
        if shift == 0:
            return text
        names, place = self.names[corpus], self.place[corpus]
        moved = _NAME.sub(lambda m: names[(place[m.group()] + shift) % len(names)], text)
        return _NUMBER.sub(lambda m: str(int(m.group()) + shift), moved)


def noisy(vector: np.ndarray, text: str) -> np.ndarray:
    """The vector of a variant: its base's with small noise seeded by its text, unit length."""
    rng = np.random.default_rng(zlib.crc32(text.encode("utf-8")))
    moved = vector + rng.normal(0, NOISE, vector.shape)
    return (moved / np.linalg.norm(moved)).astype(np.float32)


class ArchiveEmbedder(Embedder):
    """The bundled model, told in advance the vector of each text the archive writes: ``encode`` returns
    those (each once) and embeds any other text for real, counting them in ``embedded``."""

    def __init__(self) -> None:
        super().__init__()
        self.told: dict[str, np.ndarray] = {}
        self.embedded = 0

    def tell(self, text: str, vector: np.ndarray) -> None:
        self.told[text] = vector

    def encode(self, texts: Sequence[str], progress=None) -> np.ndarray:  # type: ignore[no-untyped-def, override]
        rows = [self.told.pop(text, None) for text in texts]
        missing = [i for i, row in enumerate(rows) if row is None]
        if missing:
            real = super().encode([texts[i] for i in missing])
            self.embedded += len(missing)
            for i, vector in zip(missing, real):
                rows[i] = vector
        if progress is not None:
            progress(len(texts))
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, self.dim), np.float32)


def base_vectors(cache: Path, bases: Sequence[Base]) -> np.ndarray:
    """The real model's vectors of the base paragraphs, computed once and kept as ``.npy`` beside a
    checksum of their texts."""
    digest = f"{zlib.crc32(chr(0).join(b.text for b in bases).encode('utf-8')):08x}"
    path = cache / f"base-{len(bases)}-{digest}.npy"
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        vectors = Embedder().encode([b.text for b in bases])
        np.save(path.with_suffix(".tmp.npy"), vectors)
        path.with_suffix(".tmp.npy").rename(path)
    return np.load(path)


def published(number: int, articles: int) -> str:
    return (START + timedelta(days=number * DAYS // max(articles, 1))).isoformat()


def pass_order(bases: Sequence[Base], shift: int) -> np.ndarray:
    """The order of the base paragraphs in pass ``shift``: as written in pass 0; in a later pass each
    corpus's paragraphs taken with a stride of its own (coprime with their count), so an article of one
    pass shares at most a paragraph with any article of another instead of being its edited copy."""
    order = np.arange(len(bases))
    corpora = [base.corpus for base in bases]
    for corpus in dict.fromkeys(corpora):
        start, size = corpora.index(corpus), corpora.count(corpus)
        strides = (s for s in itertools.count(2) if math.gcd(s, size) == 1)
        stride = 1 if shift == 0 else next(itertools.islice(strides, shift - 1, None), 1)
        order[start:start + size] = start + (np.arange(size) * stride) % size
    return order


def archive_articles(bases: Sequence[Base], vectors: np.ndarray | None, paragraphs: int,
                     embedder: ArchiveEmbedder | None,
                     *, first_pass: int = 0, prefix: str = "a") -> Iterator[Article]:
    """``paragraphs // 5`` articles of the archive (see the module docstring), telling ``embedder`` each
    text's vector as it goes (``vectors`` are the bases', needed only with an embedder); ``first_pass``
    > 0 gives articles none of the passes before it holds."""
    variants, articles = Variants(bases), paragraphs // PER_ARTICLE
    orders: dict[int, np.ndarray] = {}
    for number in range(articles):
        body, first = [], None
        for made in range(number * PER_ARTICLE, (number + 1) * PER_ARTICLE):
            shift, place = divmod(made, len(bases))
            if shift not in orders:
                orders = {shift: pass_order(bases, shift + first_pass)}
            at = int(orders[shift][place])
            base = bases[at]
            text = variants.of(base.text, base.corpus, shift + first_pass)
            first = first or (base, at, shift + first_pass)
            body.append(text)
            if embedder is not None and vectors is not None:
                embedder.tell(text, noisy(vectors[at], text) if shift + first_pass else vectors[at])
        base, at, shift = first
        title = variants.of(base.title, base.corpus, shift)
        if embedder is not None and vectors is not None:
            embedder.tell(title, noisy(vectors[at], title))
        yield Article(id=f"{prefix}{number:07d}", title=title, text="\n".join(body), source=base.corpus,
                      published=published(number, articles), metadata={"desk": base.desk})


def base_count(paragraphs: int) -> int:
    """Base paragraphs embedded for an archive of ``paragraphs``: a tenth, at most 5,000."""
    return max(min(paragraphs // 10, 5000), 100)


def build(cache: Path, paragraphs: int, bases_embedded: int | None = None) -> Path:
    """The store of an archive of ``paragraphs`` under ``cache`` (built on first use; a ``built.json``
    beside it says it is whole and how long it took), from ``bases_embedded`` base paragraphs (default
    :func:`base_count`)."""
    store_path, done = cache / f"store-{paragraphs}", cache / f"store-{paragraphs}.built.json"
    if done.is_file():
        return store_path
    bases = base_paragraphs(bases_embedded or base_count(paragraphs))
    start = time.perf_counter()
    vectors = base_vectors(cache, bases)
    embedded_s = time.perf_counter() - start
    embedder = ArchiveEmbedder()
    with Store.open(store_path, model=embedder, create=True) as store:
        report = store.add(archive_articles(bases, vectors, paragraphs, embedder), progress=False,
                           batch_paragraphs=8192)
    done.write_text(json.dumps({"paragraphs": paragraphs, "bases": len(bases), "embed_bases_s": embedded_s,
                                "build_s": time.perf_counter() - start, "stored": report.paragraphs_embedded,
                                "reused": report.paragraphs_reused, "embedded_for_real": embedder.embedded}))
    return store_path
