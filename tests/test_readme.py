"""The README's command-line tour is what the commands print: each ``$ topics ...`` example is run on
the seed article and its output compared with the README's (the store's folder path masked).

Text, counts and ids must match exactly; decimal numbers (similarities and scores from the int8 model)
within :data:`TOLERANCE`, since int8 kernels round differently on other instruction sets (AVX2,
AVX-512, VNNI) and move them in the last digits, or a 3-decimal figure by one at a rounding edge.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, SEEDS

# A decimal number standing on its own: not part of an id, a version or a file name.
DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d+(?![\w.])")
INTEGER = re.compile(r"(?<![\w.])\d+(?![\w.])")
TOLERANCE = 2e-3  # int8 output across CPUs differs by about 1e-5; printed to 3 decimals, by 0.001


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


def agrees(shown: str, expected: str) -> bool:
    """``shown`` is ``expected`` with its decimal numbers each within :data:`TOLERANCE`."""
    if DECIMAL.sub("#", shown) != DECIMAL.sub("#", expected):
        return False
    return all(abs(float(a) - float(b)) <= TOLERANCE
               for a, b in zip(DECIMAL.findall(shown), DECIMAL.findall(expected), strict=True))


def moved(text: str, by: float) -> str:
    """``text`` with each decimal number of 3 or more places (the model's) moved by ``by``, printed to
    as many places as before."""
    def move(number: re.Match[str]) -> str:
        places = len(number.group().split(".")[1])
        return number.group() if places < 3 else f"{float(number.group()) + by:.{places}f}"
    return DECIMAL.sub(move, text)


def test_the_comparison_allows_another_cpu_and_nothing_else():
    """Each output of the tour as another CPU prints it (0.666329 as 0.666332, or a 3-decimal figure one
    lower at a rounding edge) agrees with the README; a number that really differs, another count or id,
    or a line more, does not."""
    moving = 0
    for command, expected in tour():
        assert agrees(moved(expected, 3e-6), expected) and agrees(moved(expected, -1e-3), expected), command
        if moved(expected, 0.01) != expected:
            moving += 1
            assert not agrees(moved(expected, 0.01), expected), command
        count = INTEGER.search(expected)
        if count:
            assert not agrees(f"{expected[:count.start()]}{int(count.group()) + 1}{expected[count.end():]}",
                              expected), command
        assert not agrees(f"{expected}\n  and a line more", expected), command
    assert moving >= 2, "the tour's searches print the model's similarities"


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
        assert agrees(shown, expected), f"{command}\n--- README\n{expected}\n--- printed\n{shown}"


def test_quick_start_and_make_demo_say_how_to_run_topics():
    """``make demo`` installs ``topics`` in .venv/bin, off the PATH: the README says so right after the
    Quick start's commands, and the demo's last line says it too."""
    quick = (ROOT / "README.md").read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    after = quick.split("```sh\n", 1)[1].split("```\n", 1)[1].strip().split("\n\n")[0]
    assert ". .venv/bin/activate" in after and ".venv/bin/topics" in after
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    last = recipe.strip().splitlines()[-1]
    assert last.lstrip().startswith("@echo") and ". $(BIN)/activate" in last and "$(BIN)/topics" in last
