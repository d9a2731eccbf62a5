"""Tests of ``ingester.parse``: the shape corpus against its golden files, the lxml fast path
against feedparser field by field, the errors for bodies that are not feeds, and dates.

The goldens in ``tests/data/shapes`` are written by ``regen.py`` there and were checked by hand
against their source files; a failure here means the parser's output changed, so either the
parser regressed or the golden must be regenerated and reviewed again.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingester import parse as parse_module
from ingester.errors import ParseError
from ingester.models import ParsedEntry, ParsedFeed
from ingester.parse import html_to_text, parse, parse_date, parse_with_feedparser

SHAPES_DIR = Path(__file__).parent / "data" / "shapes"
BASE_URL = "https://feeds.example.org/feed.xml"  # the address regen.py parses the goldens with
SHAPES = sorted(
    p
    for p in SHAPES_DIR.iterdir()
    if p.suffix in (".xml", ".json", ".html") and not p.name.endswith(".expected.json")
)
FIELDS = ("id", "link", "title", "summary", "content", "author", "published", "updated", "tags")
BENCHMARK_CORPUS = Path("/tmp/corpus/feeds")


def golden_of(shape: Path) -> dict[str, Any]:
    path = shape.with_name(f"{shape.stem}.expected.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def expected_entry(golden: dict[str, Any]) -> dict[str, Any]:
    return {
        **golden,
        "published": moment(golden["published"]),
        "updated": moment(golden["updated"]),
        "tags": tuple(golden["tags"]),
    }


def feed_head(feed: ParsedFeed) -> dict[str, Any]:
    return {k: getattr(feed, k) for k in ("format", "title", "link", "ttl", "parser")}


def rss(
    items: str, *, channel: str = "<title>T</title><link>https://site.example/</link>"
) -> bytes:
    text = f'<?xml version="1.0"?><rss version="2.0"><channel>{channel}{items}</channel></rss>'
    return text.encode()


# -- golden files ----------------------------------------------------------------------------------


def test_every_shape_has_a_golden_and_every_golden_a_shape() -> None:
    goldens = {p.name for p in SHAPES_DIR.glob("*.expected.json")}
    assert goldens == {f"{s.stem}.expected.json" for s in SHAPES}
    assert len(SHAPES) >= 35


@pytest.mark.parametrize("shape", SHAPES, ids=lambda p: p.name)
def test_shape_parses_as_its_golden_says(shape: Path) -> None:
    golden = golden_of(shape)
    if "error" in golden:
        with pytest.raises(ParseError) as info:
            parse(shape.read_bytes(), base_url=BASE_URL)
        assert golden["error"] in str(info.value)
        assert info.value.url == BASE_URL
        return
    feed = parse(shape.read_bytes(), base_url=BASE_URL)
    assert feed_head(feed) == {k: golden[k] for k in ("format", "title", "link", "ttl", "parser")}
    assert [asdict(e) for e in feed.entries] == [expected_entry(e) for e in golden["entries"]]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda p: p.name)
def test_dates_are_aware_utc(shape: Path) -> None:
    try:
        feed = parse(shape.read_bytes(), base_url=BASE_URL)
    except ParseError:
        return
    for entry in feed.entries:
        for when in (entry.published, entry.updated):
            assert when is None or (when.tzinfo is UTC and when.utcoffset() == timedelta(0))


# -- what parse accepts and refuses ----------------------------------------------------------------


def test_parse_takes_bytes_only() -> None:
    with pytest.raises(TypeError, match="bytes"):
        parse(rss("").decode(), base_url=BASE_URL)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param((SHAPES_DIR / "not_a_feed.html").read_bytes(), "HTML page", id="html-page"),
        pytest.param(b"", "empty body", id="empty"),
        pytest.param(b"\xef\xbb\xbf \r\n\t ", "empty body", id="bom-and-blanks"),
        pytest.param(
            (SHAPES_DIR / "broken_truncated.xml").read_bytes(), "truncated document", id="truncated"
        ),
        pytest.param(
            (SHAPES_DIR / "not_a_jsonfeed.json").read_bytes(),
            "JSON without a jsonfeed.org version",
            id="json-not-a-feed",
        ),
        pytest.param(b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "invalid JSON"),
        pytest.param(
            b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "without an items list"
        ),
        pytest.param(b"Service Unavailable", "neither XML nor JSON", id="plain-text"),
        pytest.param(b"<?xml version='1.0'?><note>hi</note>", "no RSS, Atom or JSON Feed"),
        pytest.param(b"<rss version='2.0'><title>x</title></rss>", "without a <channel>"),
    ],
)
def test_bodies_that_are_not_feeds_raise_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        parse(body, base_url=BASE_URL)
    assert info.value.url == BASE_URL


@pytest.mark.parametrize("shape", ["rss20_wordpress.xml", "atom10_plain.xml", "rss10_rdf.xml"])
@pytest.mark.parametrize("fraction", [0.2, 0.4, 0.5, 0.6, 0.8, 0.95, 0.999])
def test_a_download_cut_off_anywhere_is_truncated_not_a_shorter_feed(
    shape: str, fraction: float
) -> None:
    data = (SHAPES_DIR / shape).read_bytes().rstrip()
    with pytest.raises(ParseError, match="truncated document"):
        parse(data[: int(len(data) * fraction)], base_url=BASE_URL)


def test_comments_after_the_root_element_are_not_truncation() -> None:
    feed = parse(rss("<item><title>A</title></item>") + b"\n<!-- cached 0.2s -->\n")
    assert [e.title for e in feed.entries] == ["A"]


@pytest.mark.parametrize(
    ("shape", "titles"),
    [
        (
            "broken_unescaped_amp.xml",
            [
                "Rail & road: new corridor via Kazakhstan & Turkmenistan",
                "Port of Aktau adds container berth",
            ],
        ),
        (
            "broken_undeclared_entity.xml",
            [
                "Bolshoi announces summer season – tickets on sale Monday",
                "Snow removal costs up 15 percent",
            ],
        ),
        (
            "broken_invalid_utf8_byte.xml",
            ["Café chain opens ten branches in Astana", "Tenge firms against the dollar"],
        ),
    ],
)
def test_broken_but_complete_documents_are_read_by_feedparser(
    shape: str, titles: list[str]
) -> None:
    feed = parse((SHAPES_DIR / shape).read_bytes(), base_url=BASE_URL)
    assert feed.parser == "feedparser"
    assert feed.format == "rss20"
    assert [e.title for e in feed.entries] == titles
    assert all(e.link and e.id and e.published for e in feed.entries)


def test_a_bare_ampersand_in_a_link_stays_an_ampersand() -> None:
    # feedparser's loose parser alone reads "&lang=en" as the HTML entity "〈" (U+2329).
    feed = parse((SHAPES_DIR / "broken_unescaped_amp.xml").read_bytes(), base_url=BASE_URL)
    assert feed.entries[0].link == "https://transit.example.com/story?id=88&lang=en"


def test_ampersands_inside_cdata_are_left_alone_when_mending_bare_ones() -> None:
    body = rss(
        "<item><title>Q & A</title><link><![CDATA[https://site.example/a?x=1&y=2]]></link></item>"
    )
    entry = parse(body, base_url=BASE_URL).entries[0]
    assert (entry.title, entry.link) == ("Q & A", "https://site.example/a?x=1&y=2")


def test_a_stray_latin1_byte_does_not_garble_the_rest_of_a_utf8_feed() -> None:
    body = rss(
        "<item><title>Caf\xe9 opens</title></item>"
        "<item><title>Қарағанды облысында егін жинау аяқталды</title></item>"
    )
    body = body.replace("Caf\xe9".encode(), b"Caf\xe9")  # one Latin-1 byte in UTF-8 text
    feed = parse(body, base_url=BASE_URL)
    assert feed.parser == "feedparser"
    assert [e.title for e in feed.entries] == [
        "Café opens",
        "Қарағанды облысында егін жинау аяқталды",
    ]


def test_a_date_beyond_year_9999_or_before_year_1_is_unknown_not_a_crash() -> None:
    body = rss(
        "<item><title>A</title><pubDate>0001-01-01T00:00:00+01:00</pubDate></item>"
        "<item><title>B</title><pubDate>9999-12-31T23:00:00-05:00</pubDate></item>"
    )
    assert [e.published for e in parse(body).entries] == [None, None]
    assert [e.published for e in parse_with_feedparser(body).entries] == [None, None]


# -- links, authors and text -----------------------------------------------------------------------


def test_relative_rss_links_resolve_against_the_channel_link_then_the_document() -> None:
    items = "<item><link>news/1.html</link></item><item><link>?id=7</link></item>"
    on_site = parse(rss(items), base_url=BASE_URL)
    assert [e.link for e in on_site.entries] == [
        "https://site.example/news/1.html",
        "https://site.example/?id=7",
    ]
    no_site = parse(rss(items, channel="<title>T</title>"), base_url=BASE_URL)
    assert [e.link for e in no_site.entries] == [
        "https://feeds.example.org/news/1.html",
        "https://feeds.example.org/feed.xml?id=7",
    ]
    relative_site = parse(rss(items, channel="<link>/en/</link>"), base_url=BASE_URL)
    assert relative_site.link == "https://feeds.example.org/en/"
    assert relative_site.entries[0].link == "https://feeds.example.org/en/news/1.html"


def test_relative_atom_links_resolve_against_the_document_without_xml_base() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><link href="/"/>'
        b'<entry><id>urn:x:1</id><title>A</title><link href="posts/1"/></entry></feed>'
    )
    for feed in (parse(body, base_url=BASE_URL), parse_with_feedparser(body, base_url=BASE_URL)):
        assert (feed.link, feed.entries[0].link) == (
            "https://feeds.example.org/",
            "https://feeds.example.org/posts/1",
        )


def test_a_permalink_guid_that_is_no_url_is_an_id_but_no_link() -> None:
    body = rss("<item><title>A</title><guid>story-1</guid></item>")
    for feed in (parse(body, base_url=BASE_URL), parse_with_feedparser(body, base_url=BASE_URL)):
        assert (feed.entries[0].id, feed.entries[0].link) == ("story-1", None)


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        ("<author>jane@example.com (Jane Doe)</author>", "Jane Doe"),
        ("<author>Jane Doe &lt;jane@example.com&gt;</author>", "Jane Doe"),
        ("<author>jane@example.com</author>", "jane@example.com"),
        ("<dc:creator>Ирина Смирнова</dc:creator>", "Ирина Смирнова"),
        ("<dc:creator>Anna</dc:creator><dc:creator>Farid</dc:creator>", "Anna, Farid"),
        (
            "<author>jane@example.com (Jane Doe)</author><dc:creator>Jane Doe</dc:creator>",
            "Jane Doe",
        ),
    ],
)
def test_rss_authors_are_names(authors: str, expected: str) -> None:
    body = rss(
        f'<item xmlns:dc="http://purl.org/dc/elements/1.1/"><title>A</title>{authors}</item>'
    )
    assert parse(body).entries[0].author == expected
    assert parse_with_feedparser(body).entries[0].author == expected


def test_atom_entries_without_authors_take_the_source_then_the_feed_author() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
      <author><name>Desk</name></author>
      <entry><id>urn:x:1</id><title>own</title><author><name>Aida</name></author></entry>
      <entry><id>urn:x:2</id><title>source</title>
        <source><id>urn:s</id><author><name>Planet</name></author></source></entry>
      <entry><id>urn:x:3</id><title>feed</title></entry>
    </feed>"""
    for feed in (parse(body), parse_with_feedparser(body)):
        assert [e.author for e in feed.entries] == ["Aida", "Planet", "Desk"]


def test_json_feed_links_resolve_against_the_home_page() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "home_page_url": "https://site.example/blog/",
            "items": [{"id": "1", "url": "posts/1"}, {"id": "2", "url": "https://x.example/2"}],
        }
    ).encode("utf-8-sig")  # with a byte order mark, as some servers send it
    feed = parse(body, base_url=BASE_URL)
    assert [e.link for e in feed.entries] == [
        "https://site.example/blog/posts/1",
        "https://x.example/2",
    ]


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\nTwo"),
        ("<p>A line wrapped\n   in the source</p>", "A line wrapped in the source"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("x <script>alert(1)</script><style>p{}</style>y<!-- note -->", "x y"),
        ("Tom &amp; Jerry &#8217;s &laquo;show&raquo;", "Tom & Jerry ’s «show»"),
        ("30&nbsp;percent", "30 percent"),
        ("plain\ntext", "plain\ntext"),
        ("<p> </p>", None),
        ("", None),
    ],
)
def test_html_to_text(html: str, text: str | None) -> None:
    assert html_to_text(html) == text


def collapse_line_by_line(text: str) -> str | None:
    """What ``_collapse`` promises, one line at a time: its quick paths must agree."""
    lines = []
    for line in text.replace("\r", "\n").split("\n"):
        if any(c in line for c in ("  ", "\t", "\xa0", "\u200b", "\f")):
            line = " ".join(line.replace("\u200b", "").split())
        lines.append(line.strip())
    return "\n".join(line for line in lines if line) or None


def test_collapse_agrees_with_the_line_by_line_rule() -> None:
    pieces = ["word", "é", " ", "  ", "\n", "\r", "\t", "\xa0", "\u200b", "\f", "\u2028", "\x85"]
    pieces += ["\u3000", "\x1c", "\v"]
    rng = random.Random(2026)
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        assert parse_module._collapse(text) == collapse_line_by_line(text), repr(text)


# -- the fast path against feedparser --------------------------------------------------------------

# Known differences, each with its reason. Every other field of every entry must be equal, and
# every difference listed here must still occur (a fixed one must leave the list).
ALLOWED_DIFFERENCES = {
    ("rss20_newspaper_media.xml", 1, "content"): "feedparser takes a photo's media:description "
    "for the entry's content; it describes the photo, not the story",
    ("rss20_newspaper_media.xml", 2, "content"): "feedparser takes a video's bare "
    "media:description for the entry's content",
}
FAST_SHAPES = [
    s
    for s in SHAPES
    if golden_of(s).get("parser") == "fast" and not golden_of(s)["format"].startswith("json")
]


def differences(fast: ParsedFeed, slow: ParsedFeed) -> dict[tuple[int, str], tuple[Any, Any]]:
    assert len(fast.entries) == len(slow.entries)
    found = {}
    for index, (a, b) in enumerate(zip(fast.entries, slow.entries, strict=True)):
        for field in FIELDS:
            if getattr(a, field) != getattr(b, field):
                found[(index, field)] = (getattr(a, field), getattr(b, field))
    return found


def test_the_parity_check_covers_every_fast_format() -> None:
    formats = {golden_of(s)["format"] for s in FAST_SHAPES}
    assert formats == {"rss091", "rss092", "rss10", "rss20", "atom10"}
    assert len(FAST_SHAPES) >= 20


@pytest.mark.parametrize("shape", FAST_SHAPES, ids=lambda p: p.name)
def test_fast_path_agrees_with_feedparser(shape: Path) -> None:
    data = shape.read_bytes()
    fast = parse(data, base_url=BASE_URL)
    slow = parse_with_feedparser(data, base_url=BASE_URL)
    assert (fast.parser, slow.parser) == ("fast", "feedparser")
    found = differences(fast, slow)
    unexplained = {k: v for k, v in found.items() if (shape.name, *k) not in ALLOWED_DIFFERENCES}
    assert unexplained == {}
    stale = [k for k in ALLOWED_DIFFERENCES if k[0] == shape.name and k[1:] not in found]
    assert stale == []


@pytest.mark.skipif(not BENCHMARK_CORPUS.is_dir(), reason=f"no corpus at {BENCHMARK_CORPUS}")
def test_fast_path_agrees_with_feedparser_on_the_benchmark_corpus() -> None:
    compared = 0
    for path in sorted(BENCHMARK_CORPUS.glob("*.xml"))[:30]:
        data = path.read_bytes()
        fast = parse(data, base_url="http://127.0.0.1:8181/")
        if fast.parser != "fast":
            continue
        slow = parse_with_feedparser(data, base_url="http://127.0.0.1:8181/")
        assert differences(fast, slow) == {}, path.name
        compared += 1
    assert compared > 0


def test_fields_compared_are_all_the_entry_fields() -> None:
    assert set(FIELDS) == set(ParsedEntry.__slots__)


# -- dates -----------------------------------------------------------------------------------------


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # RFC 822, as RSS has it
        ("Tue, 04 Mar 2025 12:45:00 +0300", utc(2025, 3, 4, 9, 45)),
        ("Mon, 03 Mar 2025 08:00:00 GMT", utc(2025, 3, 3, 8, 0)),
        ("Mon, 03 Mar 2025 10:30:00 EST", utc(2025, 3, 3, 15, 30)),
        ("Mon, 03 Mar 2025 10:30:00 EDT", utc(2025, 3, 3, 14, 30)),
        ("Mon, 03 Mar 2025 10:30:00 PST", utc(2025, 3, 3, 18, 30)),
        ("Mon, 03 Mar 2025 10:30:00 UT", utc(2025, 3, 3, 10, 30)),
        ("Mon, 03 Mar 2025 10:30:00 Z", utc(2025, 3, 3, 10, 30)),
        ("Wed, 05 Mar 2025 11:20:00 MSK", utc(2025, 3, 5, 8, 20)),
        ("Wed, 05 Mar 2025 11:20:00 CEST", utc(2025, 3, 5, 9, 20)),
        ("Mon, 03 Mar 2025 05:00:00 -0000", utc(2025, 3, 3, 5, 0)),
        ("Mon, 3 March 2025 10:30:00 -0800", utc(2025, 3, 3, 18, 30)),
        ("Tue, 04 Mar 25 09:15:00 GMT", utc(2025, 3, 4, 9, 15)),
        ("Sun, 05 Mar 99 10:00:00 GMT", utc(1999, 3, 5, 10, 0)),
        ("Thu, 6 Mar 2025 14:20 +0500", utc(2025, 3, 6, 9, 20)),
        ("03 Mar 2025 10:30:00 +0530", utc(2025, 3, 3, 5, 0)),
        ("Mon, 03 Mar 2025 10:30:00", utc(2025, 3, 3, 10, 30)),
        ("  Mon, 03 Mar 2025 10:30:00 GMT \n", utc(2025, 3, 3, 10, 30)),
        # ISO 8601 / RFC 3339, as Atom and JSON Feed have it
        ("2025-03-06T11:30:00Z", utc(2025, 3, 6, 11, 30)),
        ("2025-03-06T11:30:00z", utc(2025, 3, 6, 11, 30)),
        ("2025-03-06T11:30:00+05:00", utc(2025, 3, 6, 6, 30)),
        ("2025-03-06T11:30:00-0330", utc(2025, 3, 6, 15, 0)),
        ("2025-03-06T11:30+05", utc(2025, 3, 6, 6, 30)),
        ("2025-02-27T17:40:00.123+05:00", utc(2025, 2, 27, 12, 40)),
        ("2003-12-13T18:30:02.25+01:00", utc(2003, 12, 13, 17, 30, 2)),
        ("2025-03-06 11:30:00+0500", utc(2025, 3, 6, 6, 30)),
        ("2025-03-01", utc(2025, 3, 1)),
        ("2025-03-06T11:30:00", utc(2025, 3, 6, 11, 30)),
        ("2024-02-29T12:00:00Z", utc(2024, 2, 29, 12, 0)),
        ("2025-03-06T11:30:00+00:00", utc(2025, 3, 6, 11, 30)),
        ("2025-03-06T01:30:00+14:00", utc(2025, 3, 5, 11, 30)),
        ("2025-03-06T23:59:59-23:59", utc(2025, 3, 7, 23, 58, 59)),
        # no such moment: None, never rolled over into the next month
        ("Mon, 31 Feb 2025 10:00:00 +0000", None),
        ("2025-13-01T10:00:00Z", None),
        ("2025-02-29", None),
        ("2025-02-31T10:00:00Z", None),
        ("2025-03-06T24:00:00Z", None),
        ("2025-03-06T11:30:60+01:00", None),
        ("Tue, 04 Mar 2025 25:00:00 GMT", None),
        ("Mon, 31 Feb 25 10:00 GMT", None),
        ("0001-01-01T00:00:00+01:00", None),
        ("9999-12-31T23:00:00-05:00", None),
        # not dates
        ("yesterday", None),
        ("not a date", None),
        ("12/03/2025", None),
        ("1741161600", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    parsed = parse_date(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC
