"""Arguments a command cannot use get one line that says what is wrong, never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from index import Filters, QueryError, read_paths
from topics.cli import main

from .conftest import SEEDS


@pytest.fixture()
def seeded(new_store) -> Path:
    store = new_store()
    store.add(read_paths([SEEDS]).articles)
    return store.path


def test_too_many_where_conditions_are_refused_with_the_limit():
    with pytest.raises(QueryError, match="1000 where conditions; at most 100"):
        Filters(where=tuple(f"k{i}=v" for i in range(1000)))


def test_more_topics_than_paragraphs_is_refused_at_once(seeded: Path, capsys: pytest.CaptureFixture):
    assert main(["cluster", "--topics", "100000", "--store", str(seeded)]) == 1
    assert capsys.readouterr().err.strip() == ("topics: error: --topics must be at most the number of paragraphs "
                                               "(11), not 100,000")


def test_bytes_that_are_not_utf8_are_read_with_replacement(seeded: Path, capsys: pytest.CaptureFixture):
    query = b"caf\xe9 menu".decode("utf-8", "surrogateescape")  # as Python hands such bytes from argv
    assert main(["search", query, "-k", "1", "--store", str(seeded)]) == 0
    captured = capsys.readouterr()
    assert "argument 2 is not UTF-8; read as 'caf\ufffd menu'" in captured.err and "1." in captured.out


def test_serve_checks_its_port_and_host(seeded: Path, capsys: pytest.CaptureFixture):
    with pytest.raises(SystemExit):
        main(["serve", "--port", "99999", "--store", str(seeded)])
    assert "must be a port number from 1 to 65535, not 99999" in capsys.readouterr().err
    assert main(["serve", "--host", "no-such-host.invalid", "--store", str(seeded)]) == 1
    assert "cannot serve on host 'no-such-host.invalid'" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port), "--store", str(seeded)]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
