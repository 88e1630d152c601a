"""What the tests that look at pages share: headless Debian Chromium through Playwright, a real
``topics serve`` process to point it at, and a watch on what a page logs and requests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                                    reason="Debian's chromium is not installed at /usr/bin/chromium (.ci/run "
                                           "installs it; apt-get install chromium)")


@contextmanager
def chromium_page(width: int = 1200, height: int = 900, javascript: bool = True) -> Iterator[Any]:
    """A page of headless Debian Chromium at ``width`` × ``height``, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=javascript)
            yield context.new_page()
        finally:
            browser.close()


@dataclass
class Watch:
    """What a page said and asked for: console errors, uncaught exceptions and dialogs, and every URL."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def watch(page: Any) -> Watch:
    seen = Watch()
    page.on("console", lambda message: seen.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("dialog", lambda dialog: seen.errors.append(f"dialog: {dialog.message}") or dialog.dismiss())
    page.on("request", lambda request: seen.requests.append(request.url))
    return seen


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(store_path: Path, token: str | None = None) -> Iterator[str]:
    """``topics serve`` over ``store_path`` on a free loopback port (with ``token`` as its
    ``TOPICS_API_TOKEN``) until the block ends; yields its base URL once it answers."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TOPICS_API_TOKEN", None)
    if token:
        env["TOPICS_API_TOKEN"] = token
    command = [sys.executable, "-m", "topics", "serve", "--store", str(store_path), "--port", str(port),
               "--patience", "120"]  # the tests' small stores: every answer, not "being prepared"
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                assert process.poll() is None, process.stderr.read().decode()
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
