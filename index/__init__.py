"""index: read news articles, split them into paragraphs, embed, store and search them."""

from .articles import Article
from .embed import Embedder
from .errors import InputError, ParameterError, QueryError, StoreError, TopicsError
from .paragraphs import Paragraph, ParagraphSplitter
from .read import ReadResult, iter_articles, read_paths
from .search import Hit, search
from .similarity import DuplicatePair, SimilarArticle, article_similarity, duplicates, similar
from .store import AddReport, ArticleInfo, Filters, Link, Store, StoreStats

__all__ = [
    "AddReport", "Article", "ArticleInfo", "DuplicatePair", "Embedder", "Filters", "Hit", "InputError",
    "Link", "Paragraph", "ParameterError", "ParagraphSplitter", "QueryError", "ReadResult", "SimilarArticle", "Store",
    "StoreError", "StoreStats", "TopicsError", "article_similarity", "duplicates", "iter_articles", "read_paths", "search",
    "similar",
]
