"""Request and response models of the HTTP API: the shapes of the topics layer's ``to_dict``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_K = 100


class Health(BaseModel):
    status: str
    version: str
    articles: int
    generation: int


class ArticleIn(BaseModel):
    """One article, with the fields of a JSONL record; unknown fields are kept as metadata."""

    model_config = ConfigDict(extra="allow")
    id: str | None = None
    title: str | None = None
    text: str | None = Field(None, description="body; 'body' or 'content' are accepted too")
    url: str | None = None
    source: str | None = None
    published: str | None = Field(None, description="ISO-8601 or RFC 2822")


class ArticlesIn(BaseModel):
    articles: list[ArticleIn | list[str | int | float | None]] = Field(
        ..., min_length=1, description="articles as objects, or as rows of values (a CSV row as an array) that "
                                       "\"fields\" maps by column number")
    fields: dict[str, str] | None = Field(None, description="where the records keep a field: name → key or "
                                          "dotted path, e.g. {\"text\": \"conversations.1.value\"}; for rows, "
                                          "a column number counted from 0, e.g. {\"title\": \"1\", \"text\": \"2\"}")


class IngestResult(BaseModel):
    ids: list[str]
    added: int
    updated: int
    unchanged: int
    paragraphs_embedded: int


class ArticleMeta(BaseModel):
    id: str
    title: str
    source: str | None
    url: str | None
    published: str | None
    metadata: dict[str, Any]


class ParagraphOut(BaseModel):
    paragraph_id: int
    position: int
    is_title: bool
    text: str
    topic: int | None = None
    confidence: float | None = None
    story: int | None = Field(None, description="the story, inside its topic, the paragraph belongs to")


class TopicShare(BaseModel):
    topic: int
    label: str
    share: float


class DuplicateOut(BaseModel):
    kind: str = Field(description="copy, edited, part or rewrite (see topics duplicates)")
    score: float = Field(description="the two articles' similarity")
    overlap: float = Field(description="their word-shingle Jaccard")
    article: ArticleMeta = Field(description="the other article of the pair")


class ArticleOut(ArticleMeta):
    paragraphs: list[ParagraphOut]
    topics: list[TopicShare] = Field(description="the article's topic mix, by share of its paragraphs")
    main_topic: int | None = Field(None, description="the topic of the article as a whole")
    main_story: int | None = Field(None, description="the story, inside its main topic, of the article as a whole")
    duplicates: list[DuplicateOut] = Field(default_factory=list, description="articles that are the same story "
                                           "(the pairs topics duplicates lists for this one)")


class Deleted(BaseModel):
    deleted: str


class HitOut(BaseModel):
    score: float = Field(description="ranks the hit within this query only: hybrid's blend (the best hit "
                                     "reads about 1), dense's cosine or lexical's BM25; not comparable "
                                     "across queries")
    similarity: float = Field(description="cosine between the query and the paragraph, in [-1, 1], in every "
                                          "mode: comparable across queries and modes")
    bm25: float | None = Field(None, description="the paragraph's BM25 (lexical mode only)")
    article_id: str
    title: str
    source: str | None
    url: str | None
    published: str | None
    paragraph_id: int
    position: int
    is_title: bool
    text: str
    also_in: list[str] = Field(description="other articles holding this paragraph word for word and, unless "
                                           "all=true, those that are a copy or an edited version of this "
                                           "hit's article")
    matches: list[tuple[int, int]] = Field(
        description="[start, end) character spans of the query's words found in text, for highlighting")


class SimilarIn(BaseModel):
    article_id: str | None = Field(None, description="a stored article")
    text: str | None = Field(None, description="or the text of an article not in the store")
    title: str | None = None
    k: int = Field(10, ge=1, le=MAX_K)
    where: list[str] | None = Field(None, description="KEY=VALUE or KEY!=VALUE on article metadata, all must hold")


class SimilarOut(BaseModel):
    score: float
    article: ArticleMeta


class TopicSummary(BaseModel):
    id: int
    label: str
    automatic_label: str
    keywords: list[str]
    paragraphs: int
    share: float = Field(description="the topic's part of the fit's paragraphs, unassigned ones counted")
    theme: int | None = Field(None, description="for a story, the topic (theme) it lies inside")
    named: bool = Field(False, description="a named topic, given by the analyst (its name is its label)")


class RefreshIn(BaseModel):
    """What a refit changes: the named topics (as the entries of ``topics cluster --named``) and the
    threshold of the zero-shot ones that set none; left out, those of the fit in force are kept."""

    named: list[dict[str, Any]] | None = Field(
        None, description="named topics: each {name, seeds?, examples?, mode?: zero-shot|guided, threshold?}; "
                          "[] fits without any")
    named_threshold: float | None = Field(None, description="cosine at which a paragraph joins a zero-shot "
                                                            "named topic that sets no threshold (default 0.5)")


class MergeIn(BaseModel):
    """Two or more themes, or stories of one theme, to make one (the first id is kept)."""

    ids: list[int] = Field(..., min_length=2, max_length=MAX_K, description="topic ids; the first is kept")
    label: str | None = Field(None, max_length=200, description="a label of your own for the merged topic")


class SplitIn(BaseModel):
    """How to split: into the theme's stories (``into`` left out) or into ``into`` parts by the merge tree."""

    into: int | None = Field(None, ge=2, le=MAX_K, description="parts (default: the theme's stories)")


class ReshapedOut(BaseModel):
    """What a merge, split or reset did: the fit it made, one line per change, and the topics it made."""

    fit: int
    done: list[str]
    topics: list[dict[str, Any]]


class TopicsOut(BaseModel):
    fit_number: int
    paragraphs: int = Field(description="paragraphs the fit covers")
    unassigned_rate: float = Field(description="share of the paragraphs in no topic, boilerplate included")
    boilerplate_rate: float = Field(0.0, description="share of the paragraphs left out as boilerplate "
                                    "(release headers, datelines): part of the unassigned")
    up_to_date: bool
    topics: list[TopicSummary]
    stories: list[TopicSummary] = Field(default_factory=list, description="the stories inside the topics; "
                                        "each names its topic in 'theme'")
    events: list[dict[str, Any]] = Field(default_factory=list, description="what the latest fit changed: new, "
                                         "split, merged and vanished topics, and where labels went")
    messages: list[str] = Field(default_factory=list, description="the events, as sentences")


class TopicParagraph(BaseModel):
    paragraph_id: int
    confidence: float
    text: str


class TopicOut(TopicSummary):
    total: int
    offset: int
    limit: int
    items: list[TopicParagraph]
