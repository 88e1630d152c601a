"""Start-up time of the command line: each command's wall time in a fresh process, beside the old path.

The old path is the same command run after importing what every command used to load before it could
answer: torch, sentence-transformers (with the bundled model constructed, as the query path did to
tokenise) and the scikit-learn modules of the stop words, term hashing and the report. Both paths run interleaved, command by command, for several rounds after a
warm-up round (disk cache warm, ONNX model exported), and the median of each is printed with their
ratio; timings are noisy on a busy machine, the ratio in one run much less so. Then, for each command,
the third-party packages it imports now, with their import time (``python -X importtime``).

Stores are searched in temporary copies, so the ones named are never written to (SQLite adds side files
even for reading).

    python scripts/bench_cli.py                               # the seed store, built in a temp folder
    python scripts/bench_cli.py --bbc /tmp/eval/bbc --rounds 7
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_PATH = ("import torch, sentence_transformers, sklearn.decomposition, sklearn.feature_extraction.text\n"
            "from index.embed import bundled_model_path, offline_environment\n"
            "offline_environment()\n"
            "sentence_transformers.SentenceTransformer(str(bundled_model_path()), device='cpu', local_files_only=True)\n")
RUN = "import sys\nfrom topics.cli import main\nraise SystemExit(main(sys.argv[1:]))\n"
TARGETS = {"search demo": 1.0, "search bbc": 1.5, "stats demo": 0.5, "stats bbc": 0.5}
PACKAGE = re.compile(r"import time:\s+\d+ \|\s+(\d+) \| +(\S+)")
OWN = {"index", "topics"}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def _timed(code: str, argv: Sequence[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, env=_env(), capture_output=True,
                          text=True, timeout=600)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    return seconds


def _imports(argv: Sequence[str]) -> list[tuple[str, float]]:
    """Third-party packages the command imports, slowest first, each with its own import's cumulative
    seconds (wherever in the tree it was first imported)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", RUN, *argv], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=600)
    found = {match[2]: int(match[1]) / 1e6 for match in PACKAGE.finditer(done.stderr)
             if "." not in match[2] and match[2] not in OWN and match[2] not in sys.stdlib_module_names
             and not match[2].startswith("_")}
    return sorted(((name, s) for name, s in found.items() if s >= 0.001), key=lambda item: -item[1])


def _copy(store: Path, into: Path) -> Path:
    target = into / store.name
    shutil.copytree(store, target, ignore=shutil.ignore_patterns("*-wal", "*-shm", "write.lock"))
    return target


def _seed_store(into: Path) -> Path:
    store = into / "store"
    subprocess.run([sys.executable, "-m", "topics", "ingest", str(ROOT / "seeds"), "--store", str(store), "--quiet"],
                   cwd=ROOT, env=_env(), check=True, capture_output=True)
    return store


def _commands(stores: dict[str, Path], query: str) -> dict[str, list[str]]:
    commands: dict[str, list[str]] = {}
    for name, store in stores.items():
        commands[f"search {name}"] = ["search", query, "--store", str(store)]
    for name, store in stores.items():
        commands[f"stats {name}"] = ["stats", "--store", str(store)]
    return commands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", type=Path, help="the demo store (default: the seed article, ingested afresh)")
    parser.add_argument("--bbc", type=Path, help="a larger store, such as the BBC News one (optional)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds after the warm-up (default 5)")
    parser.add_argument("--query", default="security situation in Afghanistan", help="the search query")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        temp = Path(folder)
        stores = {"demo": _copy(args.demo, temp / "demo") if args.demo else _seed_store(temp / "demo")}
        if args.bbc:
            stores["bbc"] = _copy(args.bbc, temp / "bbc")
        commands = _commands(stores, args.query)
        times: dict[tuple[str, str], list[float]] = {}
        for round_ in range(args.rounds + 1):  # round 0 warms the disk cache (and exports ONNX once)
            for name, argv in commands.items():
                for path, code in (("ours", RUN), ("old", OLD_PATH + RUN)):
                    seconds = _timed(code, argv)
                    if round_:
                        times.setdefault((name, path), []).append(seconds)
        print(f"{'command':<12} {'ours (s)':>9} {'old path (s)':>13} {'old/ours':>9} {'target':>7}  "
              f"(median of {args.rounds} interleaved rounds)")
        for name in commands:
            ours, old = (statistics.median(times[name, path]) for path in ("ours", "old"))
            target = TARGETS.get(name)
            mark = "" if target is None else f"≤ {target:.1f} {'ok' if ours <= target else 'MISSED'}"
            print(f"{name:<12} {ours:>9.2f} {old:>13.2f} {old / ours:>8.1f}x {mark:>7}")
        print("\nthird-party packages each command imports (cumulative import seconds):")
        for name, argv in commands.items():
            print(f"  {name:<12} " + ", ".join(f"{pkg} {seconds:.2f}" for pkg, seconds in _imports(argv)))


if __name__ == "__main__":
    main()
