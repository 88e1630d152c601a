"""The notebook API: fit topics on a list of texts, a list of dicts or a pandas DataFrame in one line,
and read the results back as tables.

:class:`TopicMap` is a thin layer over the same functions the command line and the service call
(:func:`index.search`, :func:`topics.fit.fit_topics`, :mod:`topics.export`, :mod:`topics.report`,
:mod:`topics.steering`), so a table here has the same rows and columns as ``topics export`` writes. Without ``path`` the store lives
in a temporary folder the object owns, removed on :meth:`TopicMap.close` or when the object is collected;
with ``path`` it is an ordinary store the command line can open too. Tables are pandas DataFrames when
pandas is installed (``pip install 'topics[notebook]'``), else lists of dicts.
"""

from __future__ import annotations

import html
import tempfile
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index import (Article, Embedder, FieldMap, InputError, ParameterError, Store, article_from_record, search,
                   similar, write_output)

from .api import Reshaped, article_topics, info_dict, merge_topics, reset, split_topic
from .changes import dated_main_topics
from .cluster import MIN_CONFIDENCE
from .export import article_table, paragraph_table, topic_table
from .fit import check_params, fit_topics
from .model import NoTopics, TopicModel
from .periods import timeline
from .tabular import Column, Table

PANDAS_KINDS = {int: "Int64", bool: "boolean"}  # nullable, so a missing topic stays missing
REPORT_HEIGHT = 720  # pixels of the frame the report renders in


def frame(table: Table) -> Any:
    """A table as a pandas DataFrame (whole numbers and truth values nullable), or as a list of dicts
    without pandas."""
    rows = list(table.rows)
    try:
        import pandas
    except ImportError:
        return rows
    data = pandas.DataFrame.from_records(rows, columns=table.names)
    return data.astype({c.name: PANDAS_KINDS[c.kind] for c in table.columns if c.kind in PANDAS_KINDS})


def _records(rows: list[dict[str, Any]]) -> Table:
    """Rows of dicts as a table, their columns those of the first row (kinds left to pandas)."""
    return Table([Column(name, object) for name in (rows[0] if rows else {})], rows)


@dataclass(frozen=True)
class Report:
    """The topic report: ``html()``, ``markdown()``, ``to_dict()`` (the JSON schema's document),
    ``save(path)``; shown inline by Jupyter, in a frame of its own so its styles and scripts keep to it."""

    document: dict[str, Any]

    def html(self) -> str:
        from .report import render_html

        return render_html(self.document)

    def markdown(self) -> str:
        from .report import render_markdown

        return render_markdown(self.document)

    def to_dict(self) -> dict[str, Any]:
        return self.document

    def save(self, path: str | Path) -> Path:
        """Write the report as Markdown (``.md``), JSON (``.json``) or else HTML; returns the path."""
        from .report import FORMATS

        target = Path(path)
        suffix = target.suffix.lower().lstrip(".")
        fmt = {"htm": "html", "markdown": "md"}.get(suffix, suffix if suffix in FORMATS else "html")
        write_output(target, FORMATS[fmt](self.document))
        return target

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" style="width:100%;height:{REPORT_HEIGHT}px;'
                'border:1px solid #ddd" sandbox="allow-scripts"></iframe>')


def _missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA: a cell with no value."""
    try:
        return value is None or bool(value != value)
    except (TypeError, ValueError):  # pandas.NA refuses to be a truth value
        return True


def _plain(value: Any) -> Any:
    """A cell as the article reader takes it: dates as ISO text, NumPy numbers as Python numbers."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and hasattr(value, "dtype"):
        return value.item()
    return value


def articles_of(documents: Any, *, text: str, title: str, date: str, id: str, source: str) -> list[Article]:
    """Articles from texts, mappings or the rows of a DataFrame: the named columns are the article's
    fields, the other columns its metadata; a row without an id is numbered by its place (0, 1, …)."""
    rows = documents.to_dict("records") if hasattr(documents, "columns") and hasattr(documents, "to_dict") \
        else list(documents) if isinstance(documents, Iterable) and not isinstance(documents, (str, bytes)) else None
    if rows is None:
        raise ParameterError("documents", "must be a list of texts, a list of dicts or a pandas DataFrame, "
                                          f"not {type(documents).__name__}")
    names = {"text": text, "title": title, "published": date, "id": id, "source": source}
    if rows and not any(isinstance(row, str) or text in row or title in row for row in rows):
        raise ParameterError("text", f"'{text}' is no column of the documents; name the column that holds "
                                     "the text with text=")
    articles = []
    for number, row in enumerate(rows):
        if isinstance(row, str):
            row = {text: row}
        if not isinstance(row, Mapping):
            raise InputError(None, f"expected a text or a mapping, got {type(row).__name__}", item=number)
        record = {str(key): _plain(value) for key, value in row.items() if not _missing(value)}
        record.setdefault(id, str(number))
        fields = FieldMap({name: column for name, column in names.items() if column in record})
        articles.append(article_from_record(record, None, item=number, fields=fields))
    return articles


class TopicMap:
    """Topics of a collection of texts in a few lines::

        tm = TopicMap().fit(df, text="text", title="title", date="published", id="id")
        tm.topic_info(); tm.document_info(); tm.search("flood defences"); tm.report()

    ``n_topics``/``n_stories`` (None: chosen from the data), ``min_topic_size``, ``min_confidence`` and
    ``seed`` are :func:`topics.fit.fit_topics`'s; ``model`` the embedding model (default: the bundled
    one, or an :class:`index.Embedder` to share one); ``path`` a store folder to use (and keep) instead
    of a temporary one: a store fitted before answers without a new fit.
    """

    def __init__(self, *, n_topics: int | None = None, n_stories: int | None = None,
                 min_topic_size: int | None = None, min_confidence: float = MIN_CONFIDENCE, seed: int = 0,
                 model: str | Path | Embedder | None = None, path: str | Path | None = None) -> None:
        check_params(n_topics, min_topic_size, min_confidence, seed, n_stories)
        self.params = {"n_topics": n_topics, "n_stories": n_stories, "min_topic_size": min_topic_size,
                       "min_confidence": min_confidence, "seed": seed}
        self.model = model
        self.path = None if path is None else Path(path)
        self._store: Store | None = None
        self._fitted: TopicModel | None = None
        self._release = weakref.finalize(self, lambda: None)

    # -- the store ----------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The store the documents are in (opened, or made in a temporary folder, on first use)."""
        if self._store is None:
            folder = None if self.path is not None else tempfile.TemporaryDirectory(prefix="topicmap-")
            store = Store.open(self.path or Path(folder.name) / "store", model=self.model, create=True)
            self._release = weakref.finalize(self, _release, store, folder)
            self._store = store
        return self._store

    def close(self) -> None:
        """Close the store; a temporary one is removed with its folder."""
        self._release()
        self._store, self._fitted = None, None

    def __enter__(self) -> TopicMap:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def topic_model(self) -> TopicModel:
        """The fitted topics (of this object's fit, or the store's fit in force)."""
        if self._fitted is None:
            if self.path is None or not TopicModel.exists(self.path):
                raise NoTopics("this TopicMap has no topics yet: call fit(documents) first")
            self._fitted = TopicModel.load(self.store.path)
        return self._fitted

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, documents: Any, *, text: str = "text", title: str = "title", date: str = "published",
            id: str = "id", source: str = "source") -> TopicMap:
        """Store the documents (texts, dicts or DataFrame rows; see :func:`articles_of`) and fit topics
        over the store. Without ``path`` each fit starts from an empty store; with it, the documents are
        added to what the store holds (an id given again replaces its article)."""
        articles = articles_of(documents, text=text, title=title, date=date, id=id, source=source)
        if self.path is None:
            self.close()
        self.store.add(articles, progress=False)
        self._fitted = fit_topics(self.store, **self.params)
        return self

    # -- steering -----------------------------------------------------------------------------
    def merge(self, *ids: int, label: str | None = None) -> dict[str, Any]:
        """Make two or more topics (or stories of one topic) one, keeping the first id, as ``topics
        merge``: a decision kept across refits. Returns what was done."""
        return self._reshaped(merge_topics(self.store, list(ids), label))

    def split(self, topic: int, into: int | None = None) -> dict[str, Any]:
        """Cut a topic into its stories, or into ``into`` parts, as ``topics split``: a decision kept
        across refits. Returns what was done."""
        return self._reshaped(split_topic(self.store, topic, into))

    def reset(self, kind: str = "all") -> dict[str, Any]:
        """Undo the merges, the splits or both (``kind``) made by hand."""
        return self._reshaped(reset(self.store, kind))

    def _reshaped(self, done: Reshaped) -> dict[str, Any]:
        self._fitted = TopicModel.load(self.store.path)
        return done.to_dict()

    # -- tables -------------------------------------------------------------------------------
    def topic_info(self) -> Any:
        """One row per topic and story, as ``topics export topics``."""
        return frame(topic_table(self.store, self.topic_model))

    def document_info(self) -> Any:
        """One row per document (article), as ``topics export articles``."""
        return frame(article_table(self.store, self.topic_model))

    def paragraph_info(self) -> Any:
        """One row per paragraph of each document, as ``topics export paragraphs``."""
        return frame(paragraph_table(self.store, self.topic_model))

    def search(self, query: str, k: int = 10, *, mode: str = "hybrid", by_article: bool = False) -> Any:
        """The paragraphs (or, ``by_article``, articles) that best match ``query``, as ``topics search
        --json`` gives them."""
        return frame(_records([hit.to_dict() for hit in search(self.store, query, k, mode=mode,
                                                                 by_article=by_article)]))

    def similar(self, document: str, k: int = 10) -> Any:
        """The documents most similar to a stored one (by id), as ``topics similar``."""
        return frame(_records([{"score": round(found.score, 6), **_info(found.article)}
                               for found in similar(self.store, document, k)]))

    def assign(self, text: str) -> dict[str, Any]:
        """The topics of a text not in the store, without refitting, as ``topics assign``: its main
        topic and story, topic mix and each paragraph's topic."""
        return article_topics(self.store, self.topic_model, Article(title="", text=text)).to_dict()

    def over_time(self) -> Any:
        """Dated documents per period by main topic: one row per topic and period (the report's
        timeline), with all dated documents of the period beside it."""
        model = self.topic_model
        dated = dated_main_topics(self.store, model)
        line = timeline([d for d, _, _ in dated], [(d, t) for d, t, _ in dated])
        return frame(_records([{"period": period, "topic": topic.id, "label": topic.name,
                                "documents": line.series(topic.id)[i], "period_documents": line.totals[i]}
                               for i, period in enumerate(line.periods) for topic in model.topics]))

    def report(self) -> Report:
        """The topic report, shown inline in Jupyter."""
        from .report import build_report

        return Report(build_report(self.store, self.topic_model))

    def _repr_html_(self) -> str:
        if self._fitted is None and (self.path is None or not TopicModel.exists(self.path)):
            return f"<p>{html.escape(repr(self))}</p>"
        return self.report()._repr_html_()

    def __repr__(self) -> str:
        fitted = "not fitted" if self._fitted is None else \
            f"{len(self._fitted.topics)} topics over {len(self._fitted.paragraph_ids)} paragraphs"
        return f"TopicMap({self.path or 'temporary store'}, {fitted})"


def _info(article: Any) -> dict[str, Any]:
    """An article's fields, its id as ``article_id`` (as search results name it)."""
    data = info_dict(article)
    return {"article_id": data.pop("id"), **data}


def _release(store: Store, folder: tempfile.TemporaryDirectory[str] | None) -> None:
    store.close()
    if folder is not None:
        folder.cleanup()
