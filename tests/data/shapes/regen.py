"""Regenerate the golden files of the feed shape corpus: ``<name>.expected.json`` per shape.

    .venv/bin/python tests/data/shapes/regen.py            # every shape
    .venv/bin/python tests/data/shapes/regen.py rss20_*    # only the shapes matching a pattern

A golden records what ``ingester.parse.parse`` returns for the shape, or ``{"error": ...}`` with
the stable part of the ``ParseError`` message for a shape that must fail. Regenerating only
writes what the parser says today: read ``git diff`` on the goldens and check every changed
value against its source file before keeping it (``tests/test_parse.py`` trusts them).
"""

from __future__ import annotations

import fnmatch
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from ingester.errors import ParseError  # noqa: E402
from ingester.models import ParsedFeed  # noqa: E402
from ingester.parse import parse  # noqa: E402

BASE_URL = "https://feeds.example.org/feed.xml"
SUFFIXES = (".xml", ".json", ".html")


def shapes() -> list[Path]:
    """The shape documents (not goldens, notes or this script), sorted by name."""
    return sorted(
        p for p in HERE.iterdir() if p.suffix in SUFFIXES and not p.name.endswith(".expected.json")
    )


def golden_path(shape: Path) -> Path:
    return shape.with_name(f"{shape.stem}.expected.json")


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.utcoffset() != timedelta(0):
        raise ValueError(f"not UTC: {moment!r}")
    return moment.isoformat().replace("+00:00", "Z")


def to_json(feed: ParsedFeed) -> dict[str, Any]:
    return {
        "format": feed.format,
        "title": feed.title,
        "link": feed.link,
        "ttl": feed.ttl,
        "parser": feed.parser,
        "entries": [
            {
                "id": e.id,
                "link": e.link,
                "title": e.title,
                "summary": e.summary,
                "content": e.content,
                "author": e.author,
                "published": iso(e.published),
                "updated": iso(e.updated),
                "tags": list(e.tags),
            }
            for e in feed.entries
        ],
    }


def expected(shape: Path) -> dict[str, Any]:
    try:
        return to_json(parse(shape.read_bytes(), base_url=BASE_URL))
    except ParseError as exc:
        # The parser's own words, without the lxml detail in parentheses (line and column
        # numbers that change with the lxml version).
        return {"error": exc.problem.split(" (", 1)[0]}


def main(patterns: list[str]) -> None:
    for shape in shapes():
        if patterns and not any(fnmatch.fnmatch(shape.name, p) for p in patterns):
            continue
        text = json.dumps(expected(shape), ensure_ascii=False, indent=2) + "\n"
        golden_path(shape).write_text(text, encoding="utf-8")
        print(golden_path(shape).name)


if __name__ == "__main__":
    main(sys.argv[1:])
