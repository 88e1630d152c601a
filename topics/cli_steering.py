"""``topics merge`` and ``topics split``: thin command-line layers over :mod:`topics.steering`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from index import QueryError, Store

if TYPE_CHECKING:
    from .steering import Reshaped

Options = Callable[[argparse.ArgumentParser], None]


def add_commands(commands: argparse._SubParsersAction, store_options: Options) -> None:
    """The two commands' parsers, with the store options every command takes."""
    kept = "The decision is kept and made again after every refit"
    merge = _command(commands, store_options, "merge", "make two or more topics one (kept across re-clustering)",
                     "Make two or more themes, or two or more stories of one theme, one topic: the first id is "
                     f"kept, its paragraphs are all of theirs, its keywords and label are found again. {kept}.")
    merge.add_argument("ids", type=int, nargs="*", metavar="ID")
    merge.add_argument("--label", metavar="TEXT", help="a label of your own for the merged topic")
    split = _command(commands, store_options, "split", "cut a topic into its stories or into N (kept across "
                     "re-clustering)", "Cut a theme into its stories (each becomes a theme), or a theme or story "
                     f"into N parts by the clustering's own merge tree. {kept}.")
    split.add_argument("id", type=int, nargs="?", metavar="ID")
    split.add_argument("--into", type=int, metavar="N", help="parts to cut into (default: the theme's stories)")


def _command(commands: argparse._SubParsersAction, store_options: Options, name: str, summary: str,
             description: str) -> argparse.ArgumentParser:
    """A merge or split command's parser with the options both take."""
    parser = commands.add_parser(name, help=summary, description=f"{description} --reset takes the {name}s back.")
    parser.add_argument("--reset", action="store_true", help=f"undo every {name} made by hand")
    parser.add_argument("--json", action="store_true", help="print what was done as one JSON object")
    store_options(parser)
    return parser


def cmd_merge(args: argparse.Namespace) -> None:
    from .api import merge_topics, reset

    if args.reset == bool(args.ids) or (args.reset and args.label is not None):
        raise QueryError("give two or more topic ids to merge (and --label TEXT if you like), or --reset alone")
    with Store.open(args.store) as store:
        done = reset(store, "merges") if args.reset else merge_topics(store, args.ids, args.label)
    _print(done, args.json)


def cmd_split(args: argparse.Namespace) -> None:
    from .api import reset, split_topic

    if args.reset == (args.id is not None) or (args.reset and args.into is not None):
        raise QueryError("give the topic id to split (and --into N if you like), or --reset alone")
    with Store.open(args.store) as store:
        done = reset(store, "splits") if args.reset else split_topic(store, args.id, args.into)
    _print(done, args.json)


def _print(done: Reshaped, as_json: bool) -> None:
    if as_json:
        print(json.dumps(done.to_dict(), ensure_ascii=False))
        return
    for line in done.done:
        print(line)
    for topic in done.topics:
        kind = f"story {topic.id} of topic {topic.parent}" if topic.parent is not None else f"topic {topic.id}"
        print(f"{kind}: {topic.name} ({topic.size:,} paragraphs)")
