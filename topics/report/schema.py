"""The JSON report and its schema (``schema.json`` beside this file, JSON Schema 2020-12)."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

SCHEMA: dict[str, Any] = json.loads(files("topics.report").joinpath("schema.json").read_text(encoding="utf-8"))


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=1) + "\n"
