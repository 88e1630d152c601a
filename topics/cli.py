"""The ``topics`` command: a thin layer over the :mod:`index` Python API.

Every failure the user can fix is one line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
from collections import Counter
import json
import logging
import os
import socket
import sqlite3
import sys
import textwrap
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index import (Article, ArticleInfo, BACKENDS, CheckReport, database_error,
                   DB_NAME, DEFAULT_BACKEND, default_store_path, DUPLICATE_KINDS, duplicates, Embedder,
                   Executor, Filters, Hits, LocalExecutor, MODES, offline_environment, ParameterError, QueryError,
                   ray_executor, search, similar, Store, TopicsError, write_output)

from . import __version__
from .display import counted, excerpt, use_colour
from .cli_steering import add_commands as add_steering_commands, cmd_merge, cmd_split
from .report import FORMATS

if TYPE_CHECKING:
    from .api import ArticleView
    from .model import Topic, TopicModel

log = logging.getLogger("topics")
EXIT_ERROR, EXIT_INTERRUPTED = 1, 130


def _positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {value}")
    return number


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= 3600:
        raise argparse.ArgumentTypeError(f"must be a number of seconds from 0 to 3600, not {value}")
    return number


def _port(value: str) -> int:
    number = int(value) if value.isdigit() else -1
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, not {value}")
    return number


def _topic_count(value: str) -> int | None:
    return None if value == "auto" else _positive(value)


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="DIR", type=Path,
                        help="store folder (default: $TOPICS_STORE, else ./.topics)")


def _json_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"print one JSON object per {what}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="topics", description="Paragraph-level semantic search, similarity and topics for news articles.")
    parser.add_argument("--version", action="version", version=f"topics {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_ingest_commands, _search_commands, _topic_commands, _reading_commands, _changes_command,
                _export_command, _upkeep_commands):
        add(commands)
    return parser


def _ingest_commands(commands: Any) -> None:
    ingest = commands.add_parser("ingest", help="read articles into the store",
                                 description="Read articles from files or folders (recursively) into the store: "
                                             ".txt .md .html .jsonl .json .csv and RSS/Atom feeds.")
    ingest.add_argument("paths", nargs="+", metavar="PATH", type=Path, help="file or folder to read")
    _store_options(ingest)
    ingest.add_argument("--model", metavar="PATH",
                        help="sentence-transformers model folder (default: the bundled all-MiniLM-L6-v2)")
    ingest.add_argument("--backend", choices=BACKENDS,
                        help="how a new store embeds: onnx (float32), onnx-int8 (quantised, faster) or torch; "
                             f"default {DEFAULT_BACKEND}. A store keeps the one it was made with")
    ingest.add_argument("--skip-bad", action="store_true", help="skip unreadable files and records, and count them")
    ingest.add_argument("--field", action="append", metavar="NAME=PATH",
                        help="where JSON/JSONL/CSV records keep a field: a key or dotted path, e.g. "
                             "title=headline, published=meta.date, text=conversations.1.value (repeatable)")
    ingest.add_argument("--fields", metavar="FILE", help="the same mapping as a TOML [fields] table")
    ingest.add_argument("--no-header", action="store_true",
                        help="CSV files have no header row: --field NAME=N reads column N, counted from 0")
    ingest.add_argument("--encoding", help="text encoding of the files (default: UTF-8, else Windows-1252)")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.add_argument("--ray", metavar="ADDRESS",
                        help="embed on Ray workers: local (start Ray on this machine), auto (the cluster this "
                             "machine joined with `ray start`) or ray://HOST:PORT; needs pip install 'topics[ray]'")
    ingest.add_argument("--workers", type=_positive, metavar="N",
                        help="with --ray: number of workers, one CPU each (default: one per CPU of the cluster)")

    delete = commands.add_parser("delete", help="remove articles, their paragraphs and vectors")
    delete.add_argument("ids", nargs="+", metavar="ID")
    _store_options(delete)



def _search_commands(commands: Any) -> None:
    find = commands.add_parser("search", help="find the paragraphs that best match a query",
                               description="Search the stored paragraphs by meaning and by words. "
                                           'A "quoted phrase" must appear as written.')
    find.add_argument("query", help='what to look for, in plain words; "quote" exact phrases')
    find.add_argument("--mode", choices=MODES, default="hybrid",
                      help="hybrid: meaning and words (default); dense: meaning only (embeddings); "
                           "lexical: words only (BM25)")
    find.add_argument("-k", type=_positive, default=10, help="number of results (default 10)")
    find.add_argument("--source", help="only articles from this source (case-insensitive)")
    find.add_argument("--since", metavar="DATE", help="only articles published on or after DATE (ISO-8601)")
    find.add_argument("--until", metavar="DATE", help="only articles published on or before DATE (ISO-8601)")
    find.add_argument("--where", action="append", metavar="KEY=VALUE",
                      help="only articles whose metadata field KEY is VALUE (KEY!=VALUE: is not); repeatable, "
                           "all must hold; KEY may be a dotted path")
    find.add_argument("--articles", action="store_true", help="one result per article (its best paragraph)")
    find.add_argument("--all", action="store_true",
                      help="show copies and edited versions of a higher hit's article as hits of their own "
                           "(default: listed under that hit, as 'also in')")
    find.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                      help="highlight the query's words in the results (default: on a terminal, unless "
                           "NO_COLOR is set)")
    _store_options(find)
    _json_option(find, "hit")

    near = commands.add_parser("similar", help="articles most similar to a stored article or a file",
                               description="Articles most similar to ARTICLE (a stored id, or a file not in "
                                           "the store), by the symmetric mean of best-match paragraph "
                                           "similarities.")
    near.add_argument("article", metavar="ARTICLE_ID|FILE")
    near.add_argument("-k", type=_positive, default=10, help="number of results (default 10)")
    near.add_argument("--where", action="append", metavar="KEY=VALUE",
                      help="only articles whose metadata field KEY is VALUE (KEY!=VALUE: is not); repeatable")
    _store_options(near)
    _json_option(near, "article")

    dupes = commands.add_parser("duplicates", help="list pairs of articles that are the same story",
                                description="List pairs of articles that are the same story, each with its kind: "
                                            "copy, edited (words changed, a paragraph dropped), part (one holds "
                                            "the other whole, with much more besides) or rewrite (other words, "
                                            "the same names).")
    dupes.add_argument("--threshold", type=float, default=0.9,
                       help="minimum article similarity of a rewrite, 0-1 (default 0.9)")
    _store_options(dupes)
    _json_option(dupes, "pair")



def _topic_commands(commands: Any) -> None:
    cluster = commands.add_parser("cluster", help="cluster paragraphs into labelled topics",
                                  description="Cluster every stored paragraph into topics and save the topic "
                                              "model in the store. A refit starts from the last fit, so topics "
                                              "change as much as the corpus did (--fresh: from scratch); topic "
                                              "ids and labels set with 'topics label' carry over.")
    cluster.add_argument("--topics", default="auto", metavar="N|auto", type=_topic_count,
                         help="number of topics (default: chosen automatically)")
    cluster.add_argument("--stories", default="auto", metavar="N|auto", type=_topic_count,
                         help="number of stories inside the topics, in all (default: chosen in each topic)")
    cluster.add_argument("--min-topic-size", type=_positive, metavar="N",
                         help="dissolve smaller topics (default: 0.2%% of paragraphs, at least 2)")
    cluster.add_argument("--min-confidence", type=float, default=0.1, metavar="C",
                         help="paragraphs less similar than C to every topic are unassigned (default 0.1)")
    cluster.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    cluster.add_argument("--fresh", action="store_true",
                         help="find the topics from scratch instead of starting from the last fit's")
    cluster.add_argument("--named", type=Path, metavar="FILE.toml",
                         help="named topics ([[topic]] tables: name, seeds, examples, mode, threshold), kept "
                              "by later fits until changed (default: those of the last fit)")
    cluster.add_argument("--no-named", action="store_true", help="fit without the last fit's named topics")
    cluster.add_argument("--named-threshold", type=float, metavar="C",
                         help="cosine at which a paragraph joins a zero-shot named topic that sets none "
                              "(default 0.5)")
    _store_options(cluster)

    assign = commands.add_parser("assign", help="topic mix of a stored article or a file, without refitting")
    assign.add_argument("article", metavar="ARTICLE_ID|FILE")
    _store_options(assign)
    _json_option(assign, "topic")

    label = commands.add_parser("label", help="give a topic a label of your own (kept across re-clustering)")
    label.add_argument("topic", type=int, metavar="ID")
    label.add_argument("text", nargs="?", help="the label")
    label.add_argument("--reset", action="store_true", help="restore the automatic label")
    _store_options(label)
    add_steering_commands(commands, _store_options)

    report = commands.add_parser("report", help="write the topic report (HTML, Markdown or JSON)",
                                 description="Write the topic report of the store's current topics: a "
                                             "self-contained HTML page, Markdown, or JSON (schema in the README).")
    report.add_argument("--format", choices=sorted(FORMATS), help="default: from the -o extension, else html")
    report.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="write here; a device or FIFO is written into, never replaced (default or -: standard output)")
    _store_options(report)

    serve = commands.add_parser("serve", help="run the web app and the HTTP service (OpenAPI at /docs)",
                                description="Serve the store: pages for people at /, the HTTP API under /v1; "
                                            "OpenAPI at /docs and /openapi.json. When TOPICS_API_TOKEN is set, "
                                            "write endpoints need 'Authorization: Bearer <token>' and the label "
                                            "form the token.")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    serve.add_argument("--allowed-hosts", metavar="HOST[,HOST]",
                       help="Host header names to answer, against DNS rebinding; '*' for any (default: "
                            "localhost, 127.0.0.1 and ::1 when bound to a loopback address, else any)")
    serve.add_argument("--patience", type=_seconds, default=0.25, metavar="SECONDS",
                       help="how long a request waits at most for a report, an export or the topics page being "
                            "prepared (once per fit and store generation; not at all when the last build of it took "
                            "longer) before it is answered 503 with Retry-After (default 0.25)")
    _store_options(serve)



def _reading_commands(commands: Any) -> None:
    show = commands.add_parser("show", help="one stored article: its paragraphs with their topics, and its duplicates",
                               description="Show a stored article: its metadata, each paragraph with its topic, "
                                           "its topic mix and main topic, and the articles that are the same "
                                           "story (the pairs 'topics duplicates' lists for it).")
    show.add_argument("article", metavar="ARTICLE_ID")
    _store_options(show)
    _json_option(show, "article")

    listing = commands.add_parser("topics", help="the current topics: sizes, labels and keywords, without refitting",
                                  description="List the topics of the fit in force, largest first: id, "
                                              "paragraphs, share, label and keywords. Nothing is refitted.")
    _store_options(listing)
    _json_option(listing, "fit")


def _changes_command(commands: Any) -> None:
    what = commands.add_parser("changes", help="what changed since the last fit, and emerging topics",
                               description="New, grown, shrunk, merged, split and vanished topics between the "
                                           "last two fits (or since fit N), each with two example paragraphs; "
                                           "for dated articles, the topics emerging in the latest period.")
    what.add_argument("--since", type=int, metavar="FIT", help="compare with this fit (default: the one before)")
    _store_options(what)
    _json_option(what, "report")


def _export_command(commands: Any) -> None:
    from .tabular import FORMATS as TABLE_FORMATS

    export = commands.add_parser("export", help="write the topics of every paragraph, article or topic as a table",
                                 description="Write one row per paragraph (its article, position, text, topic, "
                                             "story and confidence), per article (its fields, main topic and "
                                             "story, topic mix and metadata) or per topic (labels, keywords, "
                                             "sizes, parent) as CSV, JSON Lines or Parquet, for a spreadsheet, "
                                             "a BI tool or a notebook.")
    export.add_argument("kind", choices=("paragraphs", "articles", "topics"), help="what a row is")
    export.add_argument("--format", choices=TABLE_FORMATS,
                        help="default: from the -o extension, else csv; parquet needs pip install 'topics[parquet]'")
    export.add_argument("-o", "--output", metavar="FILE", default="-",
                        help="write here; a device or FIFO is written into, never replaced (default or -: "
                             "standard output)")
    _store_options(export)


def _upkeep_commands(commands: Any) -> None:
    reindex = commands.add_parser("reindex", help="rebuild the vector index and compact the vector files",
                                  description="Rebuild the FAISS index from the stored vectors, choosing its kind "
                                              "by size (exact up to 50,000 paragraphs, IVF tuned for recall@10 "
                                              ">= 0.95 beyond), and rewrite the vector files without the "
                                              "vectors of deleted paragraphs. Useful after many deletes.")
    reindex.add_argument("--kind", choices=("auto", "flat", "ivf"), default="auto",
                         help="auto: by size (default); flat or ivf: keep that kind whatever the size")
    _store_options(reindex)

    verify = commands.add_parser("check", help="verify every file of the store",
                                 description="Verify the store without changing it: the database's integrity "
                                             "and phrase index, each vector file's size and checksum, the "
                                             "index files against the stored paragraphs, and the topic "
                                             "model's files (the fit in force and the one before it, and the "
                                             "labels people gave) against their checksums. Exits 1 when "
                                             "something is damaged.")
    _store_options(verify)

    mend = commands.add_parser("repair", help="rebuild what is damaged in the store, and say what was done",
                               description="Rebuild the derived files (vector index, BM25 postings, phrase "
                                           "index) from store.db and the vector files, embed again the "
                                           "paragraphs whose vectors are lost, copy a damaged database's "
                                           "rows into a new one, and bring back a damaged topic model from the "
                                           "previous fit (else fit it again with the same parameters), keeping "
                                           "the labels people gave. Stop other processes using the store first.")
    _store_options(mend)

    stats = commands.add_parser("stats", help="counts, model, index and size of the store")
    _store_options(stats)
    _json_option(stats, "store")


def _date(published: str | None) -> str:
    return published[:10] if published else ""


def _describe(article: ArticleInfo) -> str:
    return " · ".join(p for p in (article.id, article.source or "", _date(article.published)) if p)


def _emit(rows: Sequence[dict[str, Any]]) -> None:
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))


def _also_in(ids: Sequence[str], shown: int = 3) -> str:
    """The other articles of a hit (same paragraph, or a copy of its article): a few named, the rest counted."""
    if not ids:
        return ""
    return " · also in " + ", ".join(ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def _print_hits(hits: Hits, as_json: bool, colour: bool) -> None:
    """The hits in rank order, each with the score they are ranked by and its similarity to the query
    beside it (comparable across queries, unlike the score), both named in a header line; a note (a
    phrase's shortfall, a filter that cannot match) on stderr, so --json stays JSON."""
    if hits.note:
        print(f"topics: note: {hits.note}", file=sys.stderr)
    if as_json:
        _emit([hit.to_dict() for hit in hits])
        return
    if not hits:
        print("no matches")
        return
    scores = [f"{hit.score:.3f}" for hit in hits]
    width = max(len("score"), *map(len, scores))
    print(f"{'#':>3}  {'score':>{width}}  similarity  article")
    for rank, (hit, score) in enumerate(zip(hits, scores), start=1):
        where = "title" if hit.is_title else f"¶{hit.position}"
        print(f"{rank:>3}. {score:>{width}}  {hit.similarity:>10.3f}  {hit.article.title or '(untitled)'}")
        print(f"      {_describe(hit.article)} · {where}{_also_in(hit.also_in)}")
        print(excerpt(hit.text, hit.matches, colour=colour))


def _executor(args: argparse.Namespace) -> Executor:
    """Where ``ingest`` embeds: here, or on the Ray cluster ``--ray`` names (joined before the store opens)."""
    if args.ray is None:
        if args.workers is not None:
            raise QueryError("--workers goes with --ray ADDRESS")
        return LocalExecutor()
    return ray_executor(args.ray, workers=args.workers)


def cmd_ingest(args: argparse.Namespace) -> None:
    from index import FieldMap, iter_articles, ReadResult

    options = {"skip_bad": args.skip_bad, "encoding": args.encoding,
               "fields": FieldMap.parse(args.field or (), args.fields, header=False if args.no_header else None)}
    checked = ReadResult()
    total = sum(1 for _ in iter_articles(args.paths, **options, result=checked))  # every file, before any write
    if not total:
        raise QueryError("no articles found in " + ", ".join(map(str, args.paths))
                         + (f" ({len(checked.skipped)} skipped as unreadable)" if checked.skipped else "")
                         + (f"; passed over {checked.ignored_summary()}" if checked.ignored else ""))
    model = Embedder(args.model, backend=args.backend) if args.backend else args.model
    with _executor(args) as executor, Store.open(args.store, model=model, create=True) as store:
        stream = iter_articles(args.paths, **options, result=ReadResult(), warn=False)
        report = store.add(stream, progress=False if args.quiet else None, total=total, executor=executor)
        stats = store.stats()
    bad_files = len({error.path for error in checked.skipped})
    print(f"read {counted(total, 'article')} from {counted(checked.files, 'file')}"
          + (f"; skipped {counted(len(checked.skipped), 'bad record or file', 'bad records or files')} "
             f"(from {counted(bad_files, 'file')})" if checked.skipped else "")
          + ("; passed over " + counted(checked.ignored_files, "entry that is not an article",
                                        "entries that are not articles") if checked.ignored else ""))
    print(f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}"
          + (f", {counted(report.duplicate_ids, 'repeated id')} (last kept)" if report.duplicate_ids else ""))
    print(f"embedded {counted(report.paragraphs_embedded, 'paragraph')}, reused {report.paragraphs_reused}; store "
          f"{stats.path} holds {counted(stats.articles, 'article')}, {counted(stats.vectors, 'vector')}")


def cmd_search(args: argparse.Namespace) -> None:
    with Store.open(args.store) as store:
        hits = search(store, args.query, args.k, Filters(args.source, args.since, args.until, tuple(args.where or ())),
                      by_article=args.articles, mode=args.mode, fold=not args.all)
    _print_hits(hits, args.json, use_colour(args.color, sys.stdout))


def _reference(text: str, command: str) -> str | Article:
    """A stored article id, or the one article of a file."""
    if not Path(text).is_file():
        return text
    from index import read_paths

    articles = read_paths([text]).articles
    if len(articles) != 1:
        raise QueryError(f"{text} holds {len(articles)} articles; {command} takes one")
    return articles[0]


def cmd_similar(args: argparse.Namespace) -> None:
    ref = _reference(args.article, "similar")
    with Store.open(args.store) as store:
        results = similar(store, ref, args.k, Filters(where=tuple(args.where or ())))
    if args.json:
        _emit([result.to_dict() for result in results])
        return
    if not results:
        print("no similar articles")
    for rank, result in enumerate(results, start=1):
        print(f"{rank:>3}. {result.score:.3f}  {result.article.title or '(untitled)'}")
        print(f"      {_describe(result.article)}")


def cmd_duplicates(args: argparse.Namespace) -> None:
    with Store.open(args.store) as store:
        pairs = duplicates(store, args.threshold)
    if args.json:
        _emit([{"score": round(p.score, 6), "kind": p.kind, "overlap": round(p.overlap, 4), "first": p.first.id,
                "second": p.second.id} for p in pairs])
        return
    if not pairs:
        print(f"no two articles tell the same story (score {args.threshold} or more)")
        return
    kinds = Counter(pair.kind for pair in pairs)
    print(f"{counted(len(pairs), 'pair')} of the same story: " + ", ".join(f"{kinds[k]} {k}" for k in DUPLICATE_KINDS))
    for pair in pairs:
        print(f"  {pair.score:.3f}  {pair.kind:<7}  {pair.first.id}  {pair.first.title or '(untitled)'}")
        print(f"                  {pair.second.id}  {pair.second.title or '(untitled)'}")


def cmd_delete(args: argparse.Namespace) -> None:
    with Store.open(args.store) as store:
        missing = [i for i in args.ids if store.article(i) is None]
        if missing:
            raise QueryError(f"no article with id {', '.join(missing)} in {store.path}; nothing deleted "
                             "(see ids with: topics search --json)")
        removed = store.delete(args.ids)
    print(f"deleted {removed} article{'s' * (removed != 1)}")


def _print_topics(model: TopicModel) -> None:
    """The fit as a table: themes largest first, each with its stories indented beneath (a theme of one
    story is that story, and shows no second line)."""
    total = len(model.paragraph_ids)
    stories = (f", {counted(len(model.stories), 'story', 'stories')}" if len(model.stories) > len(model.topics)
               else "")  # every theme one story: the themes are the stories
    boilerplate = f" ({100 * model.boilerplate_rate:.1f}% boilerplate)" if model.boilerplate else ""
    print(f"{counted(len(model.topics), 'topic')}{stories} over {counted(total, 'paragraph', grouped=True)}; "
          f"{100 * model.unassigned_rate:.1f}% unassigned{boilerplate}")
    if not model.topics:
        return
    rows: list[tuple[Topic, str]] = []
    for theme in sorted(model.topics, key=lambda t: (not t.named, -t.size, t.id)):
        rows.append((theme, ""))
        inside = model.stories_of(theme.id)
        if len(inside) > 1:
            rows += [(story, "  ") for story in sorted(inside, key=lambda t: (-t.size, t.id))]
    width = min(42, max(len("label"), *(len(indent + t.name) for t, indent in rows)))
    print(f"{'topic':>5}  {'paragraphs':>10}  {'share':>6}  {'label':<{width}}  keywords")
    for topic, indent in rows:
        keywords = ", ".join(k for k, _ in topic.keywords[:6])
        share = f"{100 * topic.size / max(total, 1):.1f}%"
        name = indent + topic.name
        name = name if len(name) <= width else name[:width - 1] + "…"
        marked = str(topic.id) + "*" * topic.named
        print(f"{marked:>5}  {topic.size:>10,}  {share:>6}  {name:<{width}}  {keywords}".rstrip())
    if any(t.named for t in model.topics):
        print("* named topic (topics cluster --named)")


def cmd_cluster(args: argparse.Namespace) -> None:
    from .api import event_line, fit_events
    from .fit import fit_topics

    from .named import read_named

    if args.named and args.no_named:
        raise QueryError("give --named FILE or --no-named, not both")
    named = read_named(args.named) if args.named else ([] if args.no_named else None)
    with Store.open(args.store) as store:
        model = fit_topics(store, n_topics=args.topics, min_topic_size=args.min_topic_size,
                           min_confidence=args.min_confidence, seed=args.seed, fresh=args.fresh,
                           n_stories=args.stories, named=named, named_threshold=args.named_threshold)
    _print_topics(model)
    events = [e for e in fit_events(model) if e["event"] != "new" or model.fit_number > 1]
    for event in events:
        print(event_line(event))


def cmd_changes(args: argparse.Namespace) -> None:
    from .changes import changes
    from .model import TopicModel

    with Store.open(args.store) as store:
        found = changes(store, TopicModel.load(store.path), args.since)
    if args.json:
        print(json.dumps(found.to_dict(), ensure_ascii=False))
        return
    print(f"fit {found.fit}" + (f" against fit {found.since}" if found.since else " (the first: nothing to compare)"))
    if found.since and not found.changes:
        print("no topic changed by a tenth of its share or more")
    for change in found.changes:
        print(change.line())
        for text in change.examples:
            print(excerpt(text, limit=200))
    for topic in found.emerging:
        print(topic.line())


def cmd_assign(args: argparse.Namespace) -> None:
    from .api import article_topics
    from .model import TopicModel

    ref = _reference(args.article, "assign")
    with Store.open(args.store) as store:
        model = TopicModel.load(store.path)
        found = article_topics(store, model, ref)
    if args.json:
        _emit([share.to_dict() for share in found.mix])
        return
    if not found.mix:
        print("no paragraph is close enough to any topic (all unassigned)")
    for share in found.mix:
        print(f"{100 * share.share:5.1f}%  topic {share.topic}  {share.label}")
    story = None if found.main_story is None else model.topic(found.main_story)
    if story is not None and story.parent is not None and len(model.stories_of(story.parent)) > 1:
        print(f"main story: {story.id}  {story.name}")


def _current_model(store: Store) -> TopicModel | None:
    """The topic model in force, or ``None`` before the first fit."""
    from .model import TopicModel

    return TopicModel.load(store.path) if TopicModel.exists(store.path) else None


def cmd_show(args: argparse.Namespace) -> None:
    from .api import article_view

    with Store.open(args.store) as store:
        model = _current_model(store)
        view = article_view(store, model, args.article)
    if args.json:
        _emit([view.to_dict()])
        return
    _print_article(view, {} if model is None else {t.id: t.name for t in model.themes_and_stories})


def _print_article(view: ArticleView, names: dict[int, str]) -> None:
    """Metadata, the main topic and mix, each paragraph with its topic, and the same-story articles."""
    info, found = view.info, view.topics
    print(info.title or "(untitled)")
    print(_describe(info) + (f" · {info.url}" if info.url else ""))
    for key, value in sorted(info.metadata.items()):
        print(f"{key}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}")
    def named(topic: int) -> str:
        return f"topic {topic} “{names.get(topic, '')}”"

    if not names:
        print("no topics yet (run: topics cluster)")
    else:
        main = "no main topic (every paragraph unassigned)" if found.main is None else f"main {named(found.main)}"
        print(main + "; mix: " + (", ".join(f"{100 * s.share:.0f}% {named(s.topic)}" for s in found.mix) or "—"))
        if found.main_story is not None and found.main_story != found.main:
            print(f"main story {found.main_story} “{names.get(found.main_story, '')}”")
    print()
    for paragraph in found.paragraphs:
        where = "title" if paragraph.is_title else f"¶{paragraph.position}"
        topic = "—" if paragraph.topic is None else f"topic {paragraph.topic}"
        story = "" if paragraph.story is None else f"story {paragraph.story}"
        prefix = f"{where:<6} {topic:<10} {story:<10} "
        print(textwrap.fill(paragraph.text, width=100, initial_indent=prefix, subsequent_indent=" " * len(prefix)))
    if view.duplicates:
        print(f"\nthe same story: {counted(len(view.duplicates), 'article')}")
    for pair in view.duplicates:
        other = view.other(pair)
        print(f"  {pair.kind:<7}  {pair.score:.3f}  {other.id}  {other.title or '(untitled)'}")


def cmd_topics(args: argparse.Namespace) -> None:
    from .api import topic_listing
    from .model import TopicModel

    with Store.open(args.store) as store:
        listing = topic_listing(store, TopicModel.load(store.path))
    if args.json:
        _emit([listing.to_dict()])
        return
    stale = "" if listing.up_to_date else " (articles were added or deleted since; refit with: topics cluster)"
    print(f"fit {listing.model.fit_number}{stale}")
    _print_topics(listing.model)


def cmd_label(args: argparse.Namespace) -> None:
    if args.reset == (args.text is not None):
        raise QueryError("give a label for the topic, or --reset to restore its automatic label")
    if args.text is not None and not args.text.strip():
        raise QueryError('a label cannot be empty; to restore the automatic label use: topics label ID --reset')
    from .fit import relabel

    with Store.open(args.store) as store:
        topic = relabel(store, args.topic, None if args.reset else args.text)
    print(f"topic {topic.id}: {topic.name}")


def cmd_report(args: argparse.Namespace) -> None:
    from .model import TopicModel
    from .report import build_report

    suffix = args.output.suffix.lower().lstrip(".") if args.output else ""
    fmt = args.format or {"htm": "html", "markdown": "md"}.get(suffix, suffix if suffix in FORMATS else "html")
    with Store.open(args.store) as store:
        document = build_report(store, TopicModel.load(store.path))
    text = FORMATS[fmt](document)
    if args.output is None or str(args.output) == "-":
        sys.stdout.write(text)
        return
    try:
        regular = write_output(args.output, text)
    except OSError as exc:
        raise QueryError(f"cannot write {args.output}: {exc.strerror}") from None
    # Beside a device or a pipe (-o /dev/stdout) the line would join the report: it goes to stderr.
    print(f"wrote {fmt} report of {counted(len(document['topics']), 'topic')} to {args.output}",
          file=sys.stdout if regular else sys.stderr)


def cmd_export(args: argparse.Namespace) -> None:
    from .api import export
    from .model import TopicModel
    from .tabular import format_of, require

    to_stdout = args.output == "-"
    fmt = format_of(None if to_stdout else args.output, args.format)
    require(fmt)  # before the store opens: the refusal is at once
    if to_stdout and fmt == "parquet" and sys.stdout.isatty():
        raise QueryError("Parquet is binary: write it to a file with -o FILE.parquet")
    with Store.open(args.store) as store:
        model = TopicModel.load(store.path)
        if to_stdout:
            sys.stdout.flush()
            export(store, model, args.kind, sys.stdout.buffer, fmt)
            return
        try:
            done = export(store, model, args.kind, Path(args.output), fmt)
        except OSError as exc:
            raise QueryError(f"cannot write {args.output}: {exc.strerror}") from None
    print(f"wrote {counted(done.rows, 'row', grouped=True)} of {done.kind} as {fmt} to {args.output}",
          file=sys.stdout if done.regular else sys.stderr)


def cmd_serve(args: argparse.Namespace) -> None:
    from .service import serve

    _listenable(args.host, args.port)
    print(f"serving {args.store or default_store_path()} on http://{args.host}:{args.port}/ "
          "(API under /v1, docs at /docs)", file=sys.stderr)
    serve(args.store or default_store_path(), host=args.host, port=args.port,
          token=os.environ.get("TOPICS_API_TOKEN") or None, hosts=args.allowed_hosts, patience=args.patience)


def _listenable(host: str, port: int) -> None:
    """Refuse, in one line, a host this machine cannot resolve or an address and port it cannot listen on
    (the server would otherwise stop with a log line that names neither)."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise QueryError(f"cannot serve on host '{host}': {exc.strerror}; give an address or a name this "
                         "machine resolves (e.g. 127.0.0.1)") from None
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise QueryError(f"cannot listen on {host}:{port}: {exc.strerror}; pick another --port or "
                             "--host") from None


def cmd_reindex(args: argparse.Namespace) -> None:
    with Store.open(args.store) as store:
        start = time.perf_counter()
        snapshot = store.reindex(kind=args.kind)
        seconds = time.perf_counter() - start
    recall = f", recall@10 {snapshot.index.recall:.3f} against exact search" if snapshot.index.recall else ""
    print(f"rebuilt the index of {counted(len(snapshot.ids), 'vector')} in {seconds:.1f} s: "
          f"{snapshot.index.kind}{recall}")


def _print_check(report: CheckReport, path: Path) -> bool:
    for line in report.checked:
        print(f"checked {line}")
    for finding in report.findings:
        print(f"damaged: {finding}")
    if report.ok:
        print(f"store {path} is sound")
    else:
        count = len(report.findings)
        print(f"{count} problem{'s' * (count != 1)} in {path}; repair with: topics repair --store {path}")
    return report.ok


def cmd_check(args: argparse.Namespace) -> int:
    from .upkeep import check_store

    with Store.open(args.store) as store:
        return 0 if _print_check(check_store(store), store.path) else EXIT_ERROR


def cmd_repair(args: argparse.Namespace) -> int:
    from .upkeep import check_store, repair_store

    from index.damage import DamagedFile

    path = args.store or default_store_path()
    try:
        Store.open(path).close()  # refuses a folder that is no store, or an unreadable one, in one line
    except DamagedFile as exc:
        if exc.path != path / DB_NAME:  # a damaged database is what repair salvages
            raise
    done = repair_store(path)
    for line in done or ["nothing to repair"]:
        print(line if done else f"{line}: every file is sound")
    if done:
        with Store.open(path) as store:
            return 0 if _print_check(check_store(store), store.path) else EXIT_ERROR
    return 0


def cmd_stats(args: argparse.Namespace) -> None:
    with Store.open(args.store) as store:
        stats = store.stats()
    if args.json:
        _emit([asdict(stats)])
        return
    for key, value in asdict(stats).items():
        shown = f"{value / 1e6:.1f} MB" if key == "size_bytes" else value
        print(f"{key.replace('_bytes', ''):>15}: {shown}")


COMMANDS = {"ingest": cmd_ingest, "search": cmd_search, "similar": cmd_similar,
            "duplicates": cmd_duplicates, "delete": cmd_delete, "cluster": cmd_cluster, "assign": cmd_assign,
            "label": cmd_label, "show": cmd_show, "topics": cmd_topics, "changes": cmd_changes, "report": cmd_report, "serve": cmd_serve, "reindex": cmd_reindex,
            "check": cmd_check, "repair": cmd_repair, "stats": cmd_stats,
            "export": cmd_export, "merge": cmd_merge, "split": cmd_split}


# The library's remedies in command-line terms (see index.errors.Fix)
COMMAND_WORDS = {
    "repair": "rebuild it with: topics repair --store {store}",
    "check": "see what is wrong with: topics check --store {store}; topics repair --store {store} rebuilds "
             "what can be rebuilt",
    "create": "create one with: topics ingest FILES --store {store}",
    "folder": "pass a folder with --store",
    "empty-folder": "pass an empty or new folder with --store",
    "own-model": "leave out --model and --backend, or use another --store for the other model",
    "encoding": "read it with --encoding {encoding}",
    "name-encoding": "or pass its encoding with --encoding",
}
# Python API parameter → the flag that sets it
FLAGS = {"n_topics": "--topics", "min_topic_size": "--min-topic-size", "min_confidence": "--min-confidence",
         "seed": "--seed", "text": "the label", "named_threshold": "--named-threshold",
         "ids": "the topic ids:", "into": "--into", "label": "--label"}


def _worded(exc: TopicsError, args: argparse.Namespace) -> str:
    """A library error with its fix in command-line terms."""
    from .model import NoParagraphs, NoTopics

    if isinstance(exc, ParameterError):
        return f"{FLAGS.get(exc.parameter, exc.parameter)} {exc.reason}"
    if isinstance(exc, NoTopics):
        store = getattr(args, "store", None) or default_store_path()
        return f"{exc}; run: topics cluster --store {store}"
    if isinstance(exc, NoParagraphs):
        return f"{exc}; run: topics ingest PATH"
    return exc.worded(COMMAND_WORDS)


def _decoded(argv: Sequence[str]) -> list[str]:
    """The arguments with bytes that are not UTF-8 (which Python keeps as lone surrogates, and no text
    model or database takes) read as replacement characters, each such argument named in a note."""
    out = []
    for number, value in enumerate(argv, start=1):
        fixed = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        if fixed != value:
            print(f"topics: note: argument {number} is not UTF-8; read as {fixed!r}", file=sys.stderr)
        out.append(fixed)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    offline_environment()
    logging.basicConfig(level=logging.WARNING, format="topics: warning: %(message)s", stream=sys.stderr)
    args = build_parser().parse_args(_decoded(sys.argv[1:] if argv is None else argv))
    try:
        status = COMMANDS[args.command](args)
    except TopicsError as exc:
        print(f"topics: error: {_worded(exc, args)}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # output piped into a reader that stopped early, e.g. `| head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("topics: interrupted; the store keeps everything committed before the interruption",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except sqlite3.DatabaseError as exc:  # a read that met a damaged database
        store = getattr(args, "store", None) or default_store_path()
        print(f"topics: error: {database_error(exc, store / DB_NAME)}", file=sys.stderr)
        return EXIT_ERROR
    return status or 0
