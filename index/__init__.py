"""index: read news articles, split them into paragraphs, embed, store and search them.

What the CLI, the service and the topics package use is exported here, so they import ``index`` and
not its submodules. Readers (:mod:`index.read`: HTML, feeds, Markdown parsers) are imported on first use,
so that searching a store does not load them; so is ``RayExecutor``, so that ``import index`` never
imports ray.
"""

from typing import Any

from .articles import Article
from .catalog import DB_NAME, ArticleInfo, Filters, Link
from .check import CheckReport, check, repair
from .damage import database_error
from .embed import BACKENDS, DEFAULT_BACKEND, Embedder, offline_environment
from .errors import ClusterError, InputError, ParameterError, QueryError, StoreError, TopicsError
from .executors import Executor, LocalExecutor, ray_executor
from .files import atomic_write, save_json, save_npy, sync_folder, write_output
from .ingest import AddReport
from .paragraphs import Paragraph, ParagraphSplitter
from .search import MODES, Hit, Hits, Mode, search
from .similarity import DuplicatePair, SimilarArticle, article_similarity, duplicates, duplicates_of, similar
from .store import Store, StoreStats, default_store_path
from .stories import KINDS as DUPLICATE_KINDS

__all__ = [
    "AddReport", "Article", "ArticleInfo", "BACKENDS", "CheckReport", "ClusterError", "DB_NAME",
    "DEFAULT_BACKEND", "DUPLICATE_KINDS", "DuplicatePair", "Embedder", "Executor", "FieldMap", "Filters", "Hit",
    "Hits", "InputError", "Link", "LocalExecutor", "MODES", "Mode", "Paragraph", "ParagraphSplitter",
    "ParameterError", "QueryError", "RayExecutor", "ReadResult", "SimilarArticle", "Store", "StoreError",
    "StoreStats", "TopicsError", "article_from_record", "article_similarity", "atomic_write", "check", "write_output",
    "database_error", "default_store_path", "duplicates", "duplicates_of", "iter_articles", "offline_environment",
    "ray_executor", "read_paths", "repair", "save_json", "save_npy", "search", "similar", "sync_folder",
]

_LAZY = {"ReadResult": "index.read", "iter_articles": "index.read", "read_paths": "index.read",
         "article_from_record": "index.read.records", "FieldMap": "index.read.fields",
         "RayExecutor": "index.ray_embed"}  # imports ray: only when asked for


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
