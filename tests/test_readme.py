"""The README's command-line tour is what the commands print: each ``$ topics ...`` example is run on
the seed article and its output compared with the README's (the store's folder path masked)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, SEEDS


def tour() -> list[tuple[str, str]]:
    """(command, expected output) of each example in the README's command-line tour."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Command-line tour", 1)[1].split("\n## ", 1)[0]
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    examples = []
    for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
        command, _, output = chunk.partition("\n")
        examples.append((command, output.strip("\n")))
    return examples


def test_the_readme_tour_prints_what_the_readme_shows(tmp_path: Path):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("TOPICS_STORE", None)
    examples = tour()
    assert len(examples) >= 4
    for command, expected in examples:
        argv = shlex.split(command)
        assert argv[0] == "topics", command
        done = subprocess.run([sys.executable, "-m", "topics", *argv[1:]], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
        shown = done.stdout.replace(str(tmp_path), "/…").strip("\n")
        assert shown == expected, command
