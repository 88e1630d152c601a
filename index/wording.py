"""Counts with their nouns, for every message and page the project writes ("1 article", "3 files")."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None, grouped: bool = False) -> str:
    """``n`` and the noun, in the plural (``plural``, else the noun and "s") unless n is one ("1 article",
    "3 files", "2 entries"); ``grouped`` writes thousands with commas ("12,099 paragraphs"), as the web
    pages do."""
    number = f"{n:,}" if grouped else str(n)
    return f"{number} {noun}" if n == 1 else f"{number} {plural or noun + 's'}"
