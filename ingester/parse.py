"""Turns a feed document (bytes) into a ``ParsedFeed``.

RSS 0.9x/1.0/2.0 and Atom 1.0 that are well-formed XML take a fast path on lxml; anything else
XML-shaped (Atom 0.3, broken markup, odd encodings) goes through feedparser, which is lenient
but about 30x slower. JSON Feed 1.0/1.1 is read with the standard library. Both XML paths give
the same fields, checked against each other on ``tests/data/shapes`` (``tests/test_parse.py``).

Text fields come out as plain text: markup stripped, entities decoded, whitespace collapsed.
Dates come out as UTC; a date that cannot exist (31 February, month 13) becomes ``None`` rather
than being rolled over. This module gets bytes and never fetches anything; ``base_url`` only
resolves relative links.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_tz
from html import unescape
from typing import Any
from urllib.parse import urljoin

import feedparser
from lxml import etree

from .errors import ParseError
from .models import ParsedEntry, ParsedFeed

RSS10 = "http://purl.org/rss/1.0/"
RSS090 = "http://my.netscape.com/rdf/simple/0.9/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/elements/1.1/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
XHTML = "http://www.w3.org/1999/xhtml"

_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
)
# The common RFC 822 shape, read without email.utils (a third of parse time otherwise).
_RFC822 = re.compile(
    r"^(?:[A-Za-z]{3,9},?\s*)?(\d{1,2})\s+([A-Za-z]{3})[A-Za-z]*\.?\s+(\d{4})\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:([+-])(\d{2}):?(\d{2})|GMT|UTC|UT|Z)?$"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_ISO = re.compile(
    r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$",
    re.IGNORECASE,
)
_RFC822_SHAPE = re.compile(r"\d{1,2}\s+[A-Za-z]{3,}\.?\s+\d{2,4}")
_DROP = re.compile(r"<(script|style|template)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_BLOCK = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|pre|tr|table|section|article|header|footer"
    r"|figure|figcaption|dd|dt|hr)\b[^>]*>",
    re.I,
)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<![^>]*>|<\?[^>]*>")
_BLOCK_TAGS = frozenset(
    (
        *("p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr"),
        *("blockquote", "pre", "tr", "table", "section", "article", "header", "footer"),
        *("figure", "figcaption", "dd", "dt"),
    )
)


def parse(data: bytes, *, base_url: str | None = None) -> ParsedFeed:
    """Parse a feed document; raise ``ParseError`` if ``data`` is not a readable feed."""
    url = base_url or ""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise ParseError(url, "empty body: not a feed")
    if head[:1] in (b"{", b"["):
        return parse_json_feed(data, url)
    try:
        # Real feeds often start with a BOM or blank lines, which XML forbids before <?xml.
        root = etree.fromstring(_trim_start(data), _XML_PARSER, base_url=base_url or "")
    except etree.XMLSyntaxError as exc:
        if _truncated(exc):
            raise ParseError(url, f"truncated document: {exc}") from None
        return parse_with_feedparser(data, base_url=base_url)
    fast = _FAST.get(root.tag)
    if fast is None:
        return parse_with_feedparser(data, base_url=base_url)
    return fast(root, base_url)


def _trim_start(data: bytes) -> bytes:
    if data[:1] in (b" ", b"\t", b"\r", b"\n"):
        return data.lstrip()
    if data.startswith(b"\xef\xbb\xbf") and data[3:4] in (b" ", b"\t", b"\r", b"\n"):
        return data[3:].lstrip()
    return data


def _truncated(exc: etree.XMLSyntaxError) -> bool:
    message = str(exc)
    return "Premature end of data" in message or "EndTag: '</' not found" in message


# -- the fast path ------------------------------------------------------------------------------


def _parse_rss2(root: Any, base_url: str | None) -> ParsedFeed:
    channel = root.find("channel")
    if channel is None:
        raise ParseError(base_url or "", "RSS document without a <channel>")
    version = (root.get("version") or "2.0").strip()
    fmt = {"2.0": "rss20", "0.91": "rss091", "0.92": "rss092", "0.93": "rss093"}.get(version, "rss")
    ttl = _ttl(channel.findtext("ttl"))
    items = channel.iterfind("item")
    if fmt.startswith("rss09"):
        items = iter([*channel.iterfind("item"), *root.iterfind("item")])
    entries = tuple(_rss_item(item, base_url) for item in items)
    return ParsedFeed(
        format=fmt,
        title=text_of(channel.findtext("title")),
        link=_resolve(channel, channel.findtext("link")),
        ttl=ttl,
        entries=entries,
    )


def _parse_rdf(root: Any, base_url: str | None) -> ParsedFeed:
    ns = RSS10 if root.find(f"{{{RSS10}}}channel") is not None else RSS090
    channel = root.find(f"{{{ns}}}channel")
    if channel is None:
        return parse_with_feedparser(etree.tostring(root), base_url=base_url)
    entries = tuple(_rss_item(item, base_url, ns) for item in root.iterfind(f"{{{ns}}}item"))
    return ParsedFeed(
        format="rss10" if ns == RSS10 else "rss090",
        title=text_of(channel.findtext(f"{{{ns}}}title")),
        link=_resolve(channel, channel.findtext(f"{{{ns}}}link")),
        ttl=None,
        entries=entries,
    )


def _rss_item(item: Any, base_url: str | None, ns: str = "") -> ParsedEntry:
    prefix = f"{{{ns}}}" if ns else ""
    fields: dict[str, Any] = {}
    tags: list[str] = []
    guid_is_link = False
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag.startswith(prefix) and "}" not in tag[len(prefix) :]:
            tag = tag[len(prefix) :]
        if tag == "title":
            fields.setdefault("title", child.text)
        elif tag == "link":
            fields.setdefault("link", child.text)
        elif tag == "guid":
            fields.setdefault("id", child.text)
            guid_is_link = (child.get("isPermaLink") or "true").strip().lower() == "true"
        elif tag == "description":
            fields.setdefault("summary", child.text)
        elif tag == f"{{{CONTENT}}}encoded":
            fields.setdefault("content", child.text)
        elif tag in ("author", f"{{{DC}}}creator"):
            fields.setdefault("author", child.text)
        elif tag == "pubDate" or tag == f"{{{DC}}}date":
            fields.setdefault("published", child.text)
        elif tag == f"{{{ATOM}}}updated" or tag == f"{{{DC}}}modified":
            fields.setdefault("updated", child.text)
        elif tag in ("category", f"{{{DC}}}subject") and child.text:
            tags.append(child.text)
    if ns == RSS10 and "id" not in fields:
        fields["id"] = item.get(f"{{{RDF}}}about")
    link = fields.get("link")
    entry_id = _strip(fields.get("id"))
    if not _strip(link) and guid_is_link and entry_id and entry_id.startswith("http"):
        link = entry_id
    published = parse_date(fields.get("published"))
    return ParsedEntry(
        id=entry_id,
        link=_resolve(item, link),
        title=text_of(fields.get("title")),
        summary=html_to_text(fields.get("summary")),
        content=html_to_text(fields.get("content")),
        author=text_of(fields.get("author")),
        published=published,
        updated=parse_date(fields.get("updated")) or published,
        tags=_tags(tags),
    )


def _parse_atom(root: Any, base_url: str | None) -> ParsedFeed:
    a = f"{{{ATOM}}}"
    entries = tuple(_atom_entry(entry) for entry in root.iterfind(f"{a}entry"))
    return ParsedFeed(
        format="atom10",
        title=_atom_text(root.find(f"{a}title")),
        link=_atom_link(root),
        ttl=None,
        entries=entries,
    )


def _atom_entry(entry: Any) -> ParsedEntry:
    a = f"{{{ATOM}}}"
    author = entry.find(f"{a}author/{a}name")
    updated = parse_date(entry.findtext(f"{a}updated"))
    published = parse_date(entry.findtext(f"{a}published")) or updated
    tags = [c.get("term") or c.get("label") or "" for c in entry.iterfind(f"{a}category")]
    return ParsedEntry(
        id=_strip(entry.findtext(f"{a}id")),
        link=_atom_link(entry),
        title=_atom_text(entry.find(f"{a}title")),
        summary=_atom_text(entry.find(f"{a}summary")),
        content=_atom_text(entry.find(f"{a}content")),
        author=text_of(author.text if author is not None else None),
        published=published,
        updated=updated or published,
        tags=_tags(tags),
    )


def _atom_link(node: Any) -> str | None:
    fallback = None
    for link in node.iterfind(f"{{{ATOM}}}link"):
        rel = (link.get("rel") or "alternate").strip()
        if rel == "alternate":
            return _resolve(link, link.get("href"))
        if fallback is None and rel not in ("self", "enclosure", "edit", "replies", "hub"):
            fallback = link
    return _resolve(fallback, fallback.get("href")) if fallback is not None else None


def _atom_text(node: Any) -> str | None:
    if node is None:
        return None
    kind = (node.get("type") or "text").strip().lower()
    if kind == "xhtml" or kind.endswith("xhtml+xml"):
        inner = node.find(f"{{{XHTML}}}div")
        target = inner if inner is not None else node
        return _element_text(target)
    if kind in ("html", "text/html"):
        return html_to_text(node.text)
    if len(node):  # text type with stray markup inside: keep its text
        return _element_text(node)
    return text_of(node.text)


_FAST: dict[str, Callable[[Any, str | None], ParsedFeed]] = {
    "rss": _parse_rss2,
    f"{{{RDF}}}RDF": _parse_rdf,
    f"{{{ATOM}}}feed": _parse_atom,
}


# -- the feedparser path ------------------------------------------------------------------------


def parse_with_feedparser(data: bytes, *, base_url: str | None = None) -> ParsedFeed:
    """Parse with feedparser: slow, lenient, knows every historic format."""
    url = base_url or ""
    headers = {"content-location": base_url} if base_url else None
    try:
        doc = feedparser.parse(data, response_headers=headers, sanitize_html=False)
    except Exception as exc:  # feedparser is meant never to raise; be sure of it here
        raise ParseError(url, f"unreadable feed: {exc}") from exc
    if not doc.get("version"):
        problem = _not_a_feed_reason(data, doc)
        raise ParseError(url, problem)
    feed = doc.get("feed", {})
    ttl = _ttl(feed.get("ttl"))
    entries = tuple(_fp_entry(e) for e in doc.get("entries", []))
    return ParsedFeed(
        format=str(doc.get("version")),
        title=text_of(feed.get("title")),
        link=_strip(feed.get("link")),
        ttl=ttl,
        entries=entries,
        parser="feedparser",
    )


def _not_a_feed_reason(data: bytes, doc: Any) -> str:
    head = data[:2048].lower()
    if b"<html" in head or b"<!doctype html" in head:
        return "not a feed: the server sent an HTML page"
    error = doc.get("bozo_exception")
    return f"not a feed: {error}" if error else "not a feed: no RSS, Atom or JSON Feed found"


def _fp_entry(e: Any) -> ParsedEntry:
    content = e.get("content") or []
    published = _fp_date(e, "published")
    updated = _fp_date(e, "updated")
    author = e.get("author_detail", {}).get("name") or e.get("author")
    return ParsedEntry(
        id=_strip(e.get("id")),
        link=_strip(e.get("link")),
        title=_fp_text(e.get("title_detail"), e.get("title")),
        summary=_fp_text(e.get("summary_detail"), e.get("summary")),
        content=_fp_text(content[0], content[0].get("value")) if content else None,
        author=text_of(author),
        published=published or updated,
        updated=updated or published,
        tags=_tags(t.get("term") or t.get("label") or "" for t in e.get("tags", [])),
    )


def _fp_text(detail: Any, value: str | None) -> str | None:
    kind = (detail or {}).get("type", "text/html")
    return html_to_text(value) if "html" in kind else text_of(value)


def _fp_date(e: Any, key: str) -> datetime | None:
    raw = e.get(key)
    if raw and (strict := parse_date(raw, fallback=False)) is not _UNKNOWN:
        return strict  # our strict reading (None for an impossible date)
    parsed = e.get(f"{key}_parsed")
    if parsed:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    return None


# -- JSON Feed ----------------------------------------------------------------------------------


def parse_json_feed(data: bytes, url: str) -> ParsedFeed:
    """JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/)."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(url, f"not a feed: invalid JSON ({exc})") from None
    version = doc.get("version", "") if isinstance(doc, dict) else ""
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise ParseError(url, "not a feed: JSON without a jsonfeed.org version")
    items = doc.get("items")
    if not isinstance(items, list):
        raise ParseError(url, "JSON Feed without an items list")
    fmt = "json" + version.rsplit("/", 1)[-1].replace(".", "")
    entries = tuple(_json_item(item) for item in items if isinstance(item, dict))
    return ParsedFeed(
        format=fmt,
        title=text_of(_str(doc.get("title"))),
        link=_str(doc.get("home_page_url")),
        ttl=None,
        entries=entries,
    )


def _json_item(item: dict[str, Any]) -> ParsedEntry:
    authors = item.get("authors") or (
        [item["author"]] if isinstance(item.get("author"), dict) else []
    )
    names = [a.get("name") for a in authors if isinstance(a, dict) and a.get("name")]
    published = parse_date(_str(item.get("date_published")))
    updated = parse_date(_str(item.get("date_modified")))
    content = html_to_text(_str(item.get("content_html"))) or text_of(
        _str(item.get("content_text"))
    )
    raw_id = item.get("id")
    raw_tags = item.get("tags")
    tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
    return ParsedEntry(
        id=str(raw_id).strip() if raw_id is not None and str(raw_id).strip() else None,
        link=_str(item.get("url")) or _str(item.get("external_url")),
        title=text_of(_str(item.get("title"))),
        summary=text_of(_str(item.get("summary"))),
        content=content,
        author=", ".join(str(n) for n in names) or None,
        published=published or updated,
        updated=updated or published,
        tags=_tags(str(t) for t in tags),
    )


def _str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


# -- text and dates -----------------------------------------------------------------------------


def text_of(value: str | None) -> str | None:
    """Plain text, whitespace collapsed; markup-looking text is read as HTML."""
    if value is None:
        return None
    if "<" in value or "&" in value:
        return html_to_text(value)
    return _collapse(value)


def html_to_text(value: str | None) -> str | None:
    """The readable text of an HTML fragment, one line per block.

    Feed fragments are small and simple, so a few regular expressions do what an HTML parser
    would at a tenth of the cost; scripts, styles and comments are dropped with their content.
    """
    if value is None or not value.strip():
        return None
    if "<" not in value and "&" not in value:
        return _collapse(value)
    value = _DROP.sub(" ", value)
    value = _BLOCK.sub("\n", value)
    value = _TAG.sub("", value)
    return _collapse(unescape(value))


def _element_text(root: Any) -> str | None:
    parts: list[str] = []
    _walk_text(root, parts)
    return _collapse("".join(parts))


def _walk_text(node: Any, out: list[str]) -> None:
    tag = node.tag.rsplit("}", 1)[-1].lower() if isinstance(node.tag, str) else ""
    if tag in ("script", "style", "template"):
        if node.tail:
            out.append(node.tail)
        return
    block = tag in _BLOCK_TAGS
    if block:
        out.append("\n")
    if node.text and isinstance(node.tag, str):
        out.append(node.text)
    for child in node:
        _walk_text(child, out)
    if block:
        out.append("\n")
    if node.tail:
        out.append(node.tail)


def _collapse(text: str) -> str | None:
    """Runs of whitespace become one space within a line; blank lines go."""
    if "\r" in text:
        text = text.replace("\r", "\n")
    lines = []
    for line in text.split("\n"):
        # Most lines are already clean; the full split-and-join only where they are not.
        if "  " in line or "\t" in line or "\xa0" in line or "\u200b" in line or "\f" in line:
            line = " ".join(line.replace("\u200b", "").split())
        else:
            line = line.strip()
        if line:
            lines.append(line)
    return "\n".join(lines) or None


def _strip(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _resolve(node: Any, href: str | None) -> str | None:
    href = _strip(href)
    if not href or node is None:
        return href
    base: str | None = node.base
    if not base or "://" in href[:12]:
        return href
    return urljoin(base, href)


def _tags(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        text = text_of(value)
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def _ttl(value: str | None) -> float | None:
    value = _strip(value)
    if value and value.isdigit():
        return int(value) * 60.0
    return None


class _Unknown:
    pass


_UNKNOWN: Any = _Unknown()


def parse_date(value: str | None, *, fallback: bool = True) -> datetime | None:
    """A feed date as UTC, or None. Impossible dates are None, never rolled over.

    RFC 822 (RSS) and ISO 8601 / RFC 3339 (Atom, JSON Feed) are read strictly here; other
    shapes go to feedparser's collection of date parsers (unless ``fallback`` is false, in
    which case an unknown shape returns ``_UNKNOWN``).
    """
    value = _strip(value)
    if not value:
        return None
    if m := _ISO.match(value):
        return _iso_date(m)
    if (m := _RFC822.match(value)) and (month := _MONTHS.get(m.group(2).lower())):
        return _rfc822_date(m, month)
    if _RFC822_SHAPE.search(value):
        parts = parsedate_tz(value)
        if parts is not None:
            try:
                naive = datetime(*parts[:6])
            except ValueError:
                return None  # 31 February, month 13, hour 25: no such moment
            offset = parts[9] or 0
            return datetime.fromtimestamp(calendar.timegm(naive.timetuple()) - offset, UTC)
    if not fallback:
        return _UNKNOWN  # type: ignore[no-any-return]
    parsed = feedparser.datetimes._parse_date(value)
    if parsed is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


def _rfc822_date(m: re.Match[str], month: int) -> datetime | None:
    day, _, year, hour, minute, second, sign, zh, zm = m.groups()
    try:
        moment = datetime(int(year), month, int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    offset = (int(zh) * 3600 + int(zm) * 60) * (-1 if sign == "-" else 1) if sign else 0
    return datetime.fromtimestamp(calendar.timegm(moment.timetuple()) - offset, UTC)


def _iso_date(m: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, zone = m.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    offset = 0
    if zone and zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60)
    return datetime.fromtimestamp(calendar.timegm(moment.timetuple()) - offset, UTC)
