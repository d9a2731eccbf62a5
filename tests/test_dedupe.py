"""Tests of ``ingester.dedupe``: canonical URLs, entry keys, content hashes and ``prepare``.

dedupe is pure, so most tests use plain values; two run the shape corpus through parse first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import ingester
from ingester.dedupe import canonical_url, content_hash, entry_key, prepare
from ingester.models import ParsedEntry
from ingester.parse import parse

SHAPES_DIR = Path(__file__).parent / "data" / "shapes"
PACKAGE_ROOT = Path(ingester.__file__).resolve().parent.parent  # where this run imports it from
WHEN = datetime(2025, 3, 5, 8, 0, tzinfo=UTC)


def entry(**fields: object) -> ParsedEntry:
    values: dict[str, object] = {
        "id": None,
        "link": None,
        "title": "Caspian ferry traffic doubles",
        "summary": "Ferries between Aktau and Baku carry twice as many trucks.",
        "content": None,
        "author": None,
        "published": WHEN,
        "updated": WHEN,
        "tags": (),
    }
    values.update(fields)
    return ParsedEntry(**values)  # type: ignore[arg-type]


# -- canonical_url ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "canonical"),
    [
        ("HTTPS://Example.COM/Path/To/Story", "https://example.com/Path/To/Story"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?id=7#top", "https://example.com/a?id=7"),
        (
            "https://example.com/a?utm_source=rss&utm_medium=feed&utm_campaign=d",
            "https://example.com/a",
        ),
        ("https://example.com/a?utm_term=x&utm_content=y&id=9", "https://example.com/a?id=9"),
        ("https://example.com/a?fbclid=IwAR2xYz&id=123", "https://example.com/a?id=123"),
        ("https://example.com/a?gclid=Cj0KCQiA&page=2", "https://example.com/a?page=2"),
        ("https://example.com/a?mc_cid=0a1b&mc_eid=2c3d", "https://example.com/a"),
        ("https://example.com/a?_hsenc=p2AN&yclid=42&id=5", "https://example.com/a?id=5"),
        ("https://example.com/a?id=124&page=2", "https://example.com/a?id=124&page=2"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
    ],
)
def test_canonical_url(link: str, canonical: str) -> None:
    assert canonical_url(link) == canonical


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.com", "https://example.com/"),
        ("https://Example.com:443/", "https://example.com"),
        ("https://example.com/a?page=2&id=5", "https://example.com/a?id=5&page=2"),
        ("https://example.com/a?utm_campaign=weekly&id=5#comments", "https://example.com/a?id=5"),
    ],
)
def test_links_to_one_page_have_one_canonical_url(one: str, other: str) -> None:
    assert canonical_url(one) == canonical_url(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.com/Story", "https://example.com/story"),  # paths are case-sensitive
        ("https://example.com/a?id=5", "https://example.com/a?id=6"),
        ("https://example.com/a?id=5&page=1", "https://example.com/a?id=5&page=2"),
        ("http://example.com/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com/a"),
    ],
)
def test_different_pages_keep_different_canonical_urls(one: str, other: str) -> None:
    assert canonical_url(one) != canonical_url(other)


@pytest.mark.parametrize(
    "link",
    [
        None,
        "",
        "ftp://example.com/feed.xml",
        "mailto:desk@example.com",
        "javascript:alert(1)",
        "/en/news/1.html",
        "//example.com/a",
        "story-1",
        "https://",
        "http:///path/only",
    ],
)
def test_links_that_are_not_absolute_http_urls_have_none(link: str | None) -> None:
    assert canonical_url(link) is None


# -- entry_key -------------------------------------------------------------------------------------


def test_key_is_the_id_when_there_is_one() -> None:
    item = entry(id="caw-20250305-0042", link="https://wire.example.org/story/1")
    assert entry_key(item, canonical_url(item.link)) == "id:caw-20250305-0042"


def test_key_is_the_canonical_link_without_an_id() -> None:
    item = entry(link="HTTPS://Wire.Example.ORG:443/story/1?utm_source=rss#top")
    assert entry_key(item, canonical_url(item.link)) == "url:https://wire.example.org/story/1"


def test_key_is_a_hash_of_title_and_date_without_id_or_link() -> None:
    key = entry_key(entry(), None)
    assert key.startswith("hash:")
    assert key == entry_key(entry(), None)
    assert key != entry_key(entry(title="Another story"), None)
    assert key != entry_key(entry(published=datetime(2025, 3, 6, tzinfo=UTC)), None)


def test_hash_key_survives_an_edited_description() -> None:
    edited = entry(summary="Updated: ferries now also run to Turkmenbashi.", content="More text.")
    assert entry_key(edited, None) == entry_key(entry(), None)


def test_items_without_a_title_are_told_apart_by_their_text() -> None:
    one = entry(title=None, summary="Visa-free regime with Malaysia extended.", published=None)
    other = entry(title=None, summary="Consular office in Istanbul closed.", published=None)
    assert entry_key(one, None) != entry_key(other, None)


def test_hash_key_is_the_same_in_another_process() -> None:
    # Keys are stored in the database, so they must not depend on Python's per-process hash seed.
    script = (
        "from datetime import UTC, datetime\n"
        "from ingester.dedupe import entry_key\n"
        "from ingester.models import ParsedEntry\n"
        "when = datetime(2025, 3, 5, 8, 0, tzinfo=UTC)\n"
        "e = ParsedEntry(None, None, 'Caspian ferry traffic doubles',"
        " 'Ferries between Aktau and Baku carry twice as many trucks.', None, None, when, when)\n"
        "print(entry_key(e, None))\n"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=PACKAGE_ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(PACKAGE_ROOT)},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert keys == {entry_key(entry(), None)}


# -- content_hash ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Caspian ferry traffic triples"},
        {"summary": "Ferries carry three times as many trucks."},
        {"content": "Full text of the story."},
    ],
    ids=lambda c: next(iter(c)),
)
def test_content_hash_changes_with_the_text(change: dict[str, Any]) -> None:
    before = entry(content="Full story.")
    after = replace(before, **change)
    assert content_hash(after, None) != content_hash(before, None)


@pytest.mark.parametrize(
    "change",
    [
        {"published": datetime(2025, 3, 6, tzinfo=UTC)},
        {"updated": datetime(2025, 3, 6, tzinfo=UTC)},
        {"tags": ("Transport", "Caspian")},
        {"id": "another-guid"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_content_hash_ignores_what_is_not_text(change: dict[str, Any]) -> None:
    before = entry(content="Full story.")
    after = replace(before, **change)
    assert content_hash(after, None) == content_hash(before, None)


def test_content_hash_ignores_tracking_decoration_on_the_link() -> None:
    plain = entry(link="https://example.com/a?id=5")
    decorated = entry(link="HTTPS://example.com:443/a?utm_source=rss&id=5#comments")
    hashes = {content_hash(e, canonical_url(e.link)) for e in (plain, decorated)}
    assert len(hashes) == 1


def test_content_hash_is_stable_across_calls() -> None:
    assert content_hash(entry(), None) == content_hash(entry(), None)


# -- prepare ---------------------------------------------------------------------------------------


def test_prepare_keeps_the_first_of_repeated_keys() -> None:
    entries = [
        entry(id="g1", title="Quake felt in Almaty (updated)"),
        entry(id="g2", title="Wheat duty lifted"),
        entry(id="g1", title="Quake felt in Almaty"),
        entry(link="https://example.com/a?id=1&utm_source=rss", title="A"),
        entry(link="https://EXAMPLE.com/a?id=1#more", title="A again"),
    ]
    candidates = prepare(entries)
    assert [(c.entry_key, c.title) for c in candidates] == [
        ("id:g1", "Quake felt in Almaty (updated)"),
        ("id:g2", "Wheat duty lifted"),
        ("url:https://example.com/a?id=1", "A"),
    ]


def test_prepare_carries_the_entry_over() -> None:
    item = entry(
        link="https://example.com/a?id=1&utm_source=rss",
        author="Aida",
        content="Text",
        tags=("x",),
    )
    (candidate,) = prepare([item])
    assert candidate.url == "https://example.com/a?id=1"
    assert candidate.link == item.link  # as the feed gave it
    assert (candidate.title, candidate.summary, candidate.content) == (
        item.title,
        item.summary,
        item.content,
    )
    assert (candidate.author, candidate.published, candidate.updated, candidate.tags) == (
        "Aida",
        WHEN,
        WHEN,
        ("x",),
    )
    assert candidate.content_hash == content_hash(item, candidate.url)


def test_prepare_of_nothing_is_nothing() -> None:
    assert prepare([]) == ()


# -- end to end: parse, then prepare ---------------------------------------------------------------


def test_tracking_parameters_shape_leaves_one_candidate_per_article() -> None:
    feed = parse((SHAPES_DIR / "rss20_tracking_params.xml").read_bytes())
    assert len(feed.entries) == 8
    candidates = prepare(feed.entries)
    assert [(c.url, c.link) for c in candidates] == [
        (
            "https://digest.example.com/article?id=123",
            "https://digest.example.com/article?id=123&utm_source=rss&utm_medium=feed"
            "&utm_campaign=daily",
        ),
        (
            "http://digest.example.com/longread?id=124&page=2",
            "http://DIGEST.example.com:80/longread?id=124&page=2&gclid=Cj0KCQiA4L67BhDUARIsADWrl7F"
            "&utm_medium=email",
        ),
        (
            "http://digest.example.com/longread?id=124",
            "http://digest.example.com/longread?id=124&utm_source=rss",
        ),
        (
            "https://www.example.org/world/mongolia-coal?id=9",
            "https://www.example.org:443/world/mongolia-coal?utm_source=twitter&utm_medium=social"
            "&utm_content=post&utm_term=coal&id=9#top",
        ),
    ]
    assert all(c.entry_key == f"url:{c.url}" for c in candidates)


def test_duplicate_guid_shape_keeps_the_first_listed_version() -> None:
    feed = parse((SHAPES_DIR / "rss20_duplicate_guid.xml").read_bytes())
    assert [e.id for e in feed.entries] == [
        "caw-20250305-0042",
        "caw-20250305-0039",
        "caw-20250305-0042",
        "caw-20250304-0101",
    ]
    candidates = prepare(feed.entries)
    assert [(c.entry_key, c.title) for c in candidates] == [
        ("id:caw-20250305-0042", "Earthquake of magnitude 5.1 felt in Almaty (updated)"),
        ("id:caw-20250305-0039", "Uzbekistan lifts wheat import duty"),
        ("id:caw-20250304-0101", "Kyrgyz-Tajik border talks to continue"),
    ]


# -- the plain-link fast path agrees with courlan --------------------------------------------


PLAIN_AND_NOT = [
    "https://news.example.org/2026/11/28/story-1",
    "https://news.example.org/a/b/",
    "https://news.example.org/",
    "http://127.0.0.1:8181/articles/a000123.html?utm_source=rss&utm_medium=feed",
    "https://news.example.org/a?fbclid=1&gclid=2",
    "https://news.example.org/a?utm_source=a&utm_campaign=b&utm_medium=c&mc_cid=1",
    "https://news.example.org:8443/x",
    "https://news.example.org/A_B-c~d.html",
    # Not plain: courlan decides these (the fast path must step aside, not guess).
    "https://news.example.org/a?id=1",
    "https://news.example.org:443/x",
    "https://News.Example.org/x",
    "https://news.example.org/a/./b",
    "https://news.example.org/a//b",
    "https://news.example.org/%7Euser/",
    "https://xn--80ak6aa92e.com/a",
    "https://news.example.org",
]


@pytest.mark.parametrize("link", PLAIN_AND_NOT)
def test_plain_fast_path_gives_courlans_answer(link: str) -> None:
    from courlan import normalize_url

    from ingester.dedupe import _plain_canonical

    fast = _plain_canonical(link)
    if fast is not None:
        assert fast == normalize_url(link, strict=False)


def test_plain_fast_path_takes_the_common_shapes() -> None:
    from ingester.dedupe import _plain_canonical

    taken = [link for link in PLAIN_AND_NOT[:8] if _plain_canonical(link) is not None]
    assert taken == PLAIN_AND_NOT[:8]
    assert all(_plain_canonical(link) is None for link in PLAIN_AND_NOT[8:])


def test_plain_fast_path_agrees_on_the_bench_corpus() -> None:
    import re

    from courlan import normalize_url

    from ingester.dedupe import _plain_canonical

    feeds = sorted(Path("/tmp/corpus/feeds").glob("*.xml"))[:40]
    if not feeds:
        pytest.skip("bench corpus not generated (see tests/benchmarks)")
    links = [
        link.replace("&amp;", "&")
        for path in feeds
        for link in re.findall(r"<link>([^<]+)</link>", path.read_text())
    ]
    checked = [link for link in links if _plain_canonical(link) is not None]
    assert checked
    assert [_plain_canonical(link) for link in checked] == [
        normalize_url(link, strict=False) for link in checked
    ]
