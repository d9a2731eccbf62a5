"""Turns a feed document (bytes) into a ``ParsedFeed``.

RSS 0.9x/1.0/2.0 and Atom 1.0 that are well-formed XML take a fast path on lxml; anything else
XML-shaped (Atom 0.3, broken markup, odd encodings) goes through feedparser, which is lenient
but about 30x slower. JSON Feed 1.0/1.1 is read with the standard library. Both XML paths give
the same fields, checked against each other on ``tests/data/shapes`` (``tests/test_parse.py``).

Text fields come out as plain text: markup stripped, entities decoded, whitespace collapsed;
titles, authors and tags are one line. Dates come out as UTC; a date that cannot exist
(31 February, month 13) becomes ``None`` rather than being rolled over. Relative links resolve
against ``xml:base`` where the document has one, else (RSS) against the channel ``<link>``, else
against ``base_url``, the address the document came from. This module gets bytes and never
fetches anything.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
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
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

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
# The commonest shape (RFC 3339 without fractions), which datetime reads in C; _ISO does the rest.
_ISO_COMMON = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])\Z"
)
_ISO = re.compile(
    r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$",
    re.IGNORECASE,
)
_RFC822_SHAPE = re.compile(r"\d{1,2}\s+[A-Za-z]{3,}\.?\s+\d{2,4}")
# Zone names that email.utils does not know but feeds from Europe and Russia use (hours east).
_ZONES = {"MSK": 3, "MSD": 4, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "WET": 0, "WEST": 1}
_EMAIL = re.compile(r"[A-Za-z0-9_.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# The first element name of an XML document, and a closing tag followed only by comments/space.
_ROOT_NAME = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_FEED_ROOTS = frozenset((b"rss", b"feed", b"rdf:RDF", b"RDF"))
_TAG_END = re.compile(rb"\s*>")
_TRAILER = re.compile(rb"(?:\s|<!--.*?-->|<\?.*?\?>)*\Z", re.S)
# A "&" that starts no entity or character reference; CDATA sections are matched to skip them.
_BARE_AMP = re.compile(
    rb"<!\[CDATA\[.*?\]\]>|&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][\w.-]*;)", re.S
)
_ENCODING_DECL = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)")
_STRAY_BYTE = re.compile("[\udc80-\udcff]+")
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
    if not isinstance(data, bytes):
        raise TypeError(f"parse() takes the response body as bytes, not {type(data).__name__}")
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
        if root_name := _unclosed_feed_root(data):
            raise ParseError(
                url, f"truncated document: it ends before the closing </{root_name}> ({exc})"
            ) from None
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


def _unclosed_feed_root(data: bytes) -> str | None:
    """The root's name if ``data`` is a feed cut off before its root element closes.

    Called only for documents lxml rejected: a download that stopped early is a failed fetch,
    not a feed with fewer items, so it must not reach feedparser, which reads what it can.
    """
    start = data.find(b"<", 0, 4096)
    while start != -1 and data[start + 1 : start + 2] in (b"?", b"!"):
        start = data.find(b">", start)
        start = data.find(b"<", start) if start != -1 else -1
    match = _ROOT_NAME.match(data, start) if start != -1 else None
    if match is None or match.group(1) not in _FEED_ROOTS:
        return None
    name = match.group(1)
    end = data.rfind(b"</" + name)
    close = _TAG_END.match(data, end + 2 + len(name)) if end != -1 else None
    if close and _TRAILER.match(data, close.end()):
        return None  # the root closes and only comments or blanks follow: not cut off
    return name.decode("ascii")


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
    site = _resolve(channel, channel.findtext("link"))
    entries = tuple(_rss_item(item, site) for item in items)
    return ParsedFeed(
        format=fmt,
        title=_line(text_of(channel.findtext("title"))),
        link=site,
        ttl=ttl,
        entries=entries,
    )


def _parse_rdf(root: Any, base_url: str | None) -> ParsedFeed:
    ns = RSS10 if root.find(f"{{{RSS10}}}channel") is not None else RSS090
    channel = root.find(f"{{{ns}}}channel")
    if channel is None:
        return parse_with_feedparser(etree.tostring(root), base_url=base_url)
    site = _resolve(channel, channel.findtext(f"{{{ns}}}link"))
    entries = tuple(_rss_item(item, site, ns) for item in root.iterfind(f"{{{ns}}}item"))
    return ParsedFeed(
        format="rss10" if ns == RSS10 else "rss090",
        title=_line(text_of(channel.findtext(f"{{{ns}}}title"))),
        link=site,
        ttl=None,
        entries=entries,
    )


# An RSS item's children by tag: the entry field each fills (the first one wins), or a list.
_RSS_FIELDS = {
    "title": "title",
    "link": "link",
    "description": "summary",
    f"{{{CONTENT}}}encoded": "content",
    "pubDate": "published",
    f"{{{DC}}}date": "published",
    f"{{{ATOM}}}updated": "updated",
    f"{{{DC}}}modified": "updated",
}
_RSS_PEOPLE = frozenset(("author", f"{{{DC}}}creator"))
_RSS_TAGS = frozenset(("category", f"{{{DC}}}subject"))


def _rss_item(item: Any, site: str | None, ns: str = "") -> ParsedEntry:
    """One RSS item; ``site`` (the channel link) is the base for relative links."""
    prefix = f"{{{ns}}}" if ns else ""
    fields: dict[str, Any] = {}
    tags: list[str] = []
    people: list[str] = []
    guid_is_link = False
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if prefix and tag.startswith(prefix) and "}" not in tag[len(prefix) :]:
            tag = tag[len(prefix) :]
        field = _RSS_FIELDS.get(tag)
        if field is not None:
            if field not in fields:
                fields[field] = child.text
        elif tag == "guid":
            if "id" not in fields:
                fields["id"] = child.text
                guid_is_link = (child.get("isPermaLink") or "true").strip().lower() == "true"
        elif tag in _RSS_PEOPLE:
            if child.text:
                people.append(child.text)
        elif tag in _RSS_TAGS and child.text:
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
        link=_resolve(item, link, site),
        title=_line(text_of(fields.get("title"))),
        summary=html_to_text(fields.get("summary")),
        content=html_to_text(fields.get("content")),
        author=_rss_people(people) if people else None,
        published=published,
        updated=parse_date(fields.get("updated")) or published,
        tags=_tags(tags),
    )


def _parse_atom(root: Any, base_url: str | None) -> ParsedFeed:
    a = f"{{{ATOM}}}"
    feed_author = _atom_people(root)
    entries = tuple(_atom_entry(entry, feed_author) for entry in root.iterfind(f"{a}entry"))
    return ParsedFeed(
        format="atom10",
        title=_line(_atom_text(root.find(f"{a}title"))),
        link=_atom_link(root),
        ttl=None,
        entries=entries,
    )


_A_AUTHOR = f"{{{ATOM}}}author"
_A_LINK = f"{{{ATOM}}}link"
_A_CATEGORY = f"{{{ATOM}}}category"
_A_NAME = f"{{{ATOM}}}name"
_A_EMAIL = f"{{{ATOM}}}email"
_A_SOURCE = f"{{{ATOM}}}source"
# Children of an entry of which only the first counts (as ``find`` would pick it).
_ATOM_FIRST = frozenset(
    f"{{{ATOM}}}{name}"
    for name in ("id", "title", "summary", "content", "updated", "published", "source")
)


def _atom_entry(entry: Any, feed_author: str | None) -> ParsedEntry:
    # One pass over the children instead of a find() per field: a third of the entry's cost.
    first: dict[str, Any] = {}
    people: list[Any] = []
    links: list[Any] = []
    categories: list[Any] = []
    for child in entry:
        tag = child.tag
        if tag == _A_AUTHOR:
            people.append(child)
        elif tag == _A_LINK:
            links.append(child)
        elif tag == _A_CATEGORY:
            categories.append(child)
        elif tag in _ATOM_FIRST and tag not in first:
            first[tag] = child
    a = f"{{{ATOM}}}"
    # RFC 4287 4.2.1: an entry without atom:author takes its source's, else the feed's.
    author = _people_of(people)
    if author is None:
        source = first.get(_A_SOURCE)
        author = _atom_people(source) if source is not None else None
        if author is None:
            author = feed_author
    updated = parse_date(_text(first.get(f"{a}updated")))
    published = parse_date(_text(first.get(f"{a}published"))) or updated
    tags = [c.get("term") or c.get("label") or "" for c in categories]
    return ParsedEntry(
        id=_strip(_text(first.get(f"{a}id"))),
        link=_link_of(links),
        title=_line(_atom_text(first.get(f"{a}title"))),
        summary=_atom_text(first.get(f"{a}summary")),
        content=_atom_text(first.get(f"{a}content")),
        author=author or None,
        published=published,
        updated=updated or published,
        tags=_tags(tags),
    )


def _text(node: Any) -> str | None:
    return node.text if node is not None else None


def _atom_people(node: Any) -> str | None:
    """Names of a node's atom:author elements; "" if it has some but none is named or mailed."""
    return _people_of(node.findall(_A_AUTHOR))


def _people_of(people: list[Any]) -> str | None:
    if not people:
        return None
    names: list[str | None] = []
    emails: list[str | None] = []
    for person in people:
        name = email = None
        for child in person:
            if child.tag == _A_NAME and name is None:
                name = child.text or ""
            elif child.tag == _A_EMAIL and email is None:
                email = child.text or ""
        names.append(name)
        emails.append(email)
    return _people(names, emails) or ""


def _atom_link(node: Any) -> str | None:
    return _link_of(node.iterfind(_A_LINK))


def _link_of(links: Iterable[Any]) -> str | None:
    fallback = None
    for link in links:
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
    # type="text" is literal (RFC 4287 3.1.1.1): "<p>" here is text, not a tag.
    return _collapse(node.text) if node.text else None


_FAST: dict[str, Callable[[Any, str | None], ParsedFeed]] = {
    "rss": _parse_rss2,
    f"{{{RDF}}}RDF": _parse_rdf,
    f"{{{ATOM}}}feed": _parse_atom,
}


# -- the feedparser path ------------------------------------------------------------------------


def parse_with_feedparser(data: bytes, *, base_url: str | None = None) -> ParsedFeed:
    """Parse with feedparser: slow, lenient, knows every historic format."""
    url = base_url or ""
    try:
        # No base URL for feedparser: it would resolve RSS guids as if they were links. Links
        # that stay relative are resolved below, by the same rules as the fast path.
        doc = feedparser.parse(_repair(data), sanitize_html=False)
    except Exception as exc:  # feedparser is meant never to raise; be sure of it here
        raise ParseError(url, f"unreadable feed: {exc}") from exc
    if not doc.get("version"):
        problem = _not_a_feed_reason(data, doc)
        raise ParseError(url, problem)
    feed = doc.get("feed", {})
    ttl = _ttl(feed.get("ttl"))
    version = str(doc.get("version"))
    atom = version.startswith("atom")
    link = _join(base_url, _strip(feed.get("link")))
    # Atom resolves against the document (RFC 4287); RSS entries against the channel link.
    base = base_url if atom else (link or base_url)
    feed_author = _fp_people(feed) if atom else None
    entries = tuple(_fp_entry(e, base, atom, feed_author) for e in doc.get("entries", []))
    return ParsedFeed(
        format=version,
        title=_line(_fp_text(feed.get("title_detail"), feed.get("title"), atom)),
        link=link,
        ttl=ttl,
        entries=entries,
        parser="feedparser",
    )


def _repair(data: bytes) -> bytes:
    """Mend the two commonest breakages before feedparser reads a document.

    A bare "&" sends feedparser to its loose parser, which reads "&lang=en" in a link as the
    HTML entity "〈"; it becomes "&amp;". A stray Latin-1 byte in a UTF-8 document makes
    feedparser decode the whole document as windows-1252, garbling every Cyrillic or Kazakh
    letter; only the stray bytes are read as windows-1252.
    """
    if b"\x00" in data[:64]:  # UTF-16 or UTF-32: these byte patterns do not apply
        return data
    if b"&" in data:
        data = _BARE_AMP.sub(lambda m: b"&amp;" if m.group() == b"&" else m.group(), data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        declared = _ENCODING_DECL.match(data)
        if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
            return data
        text = data.decode("utf-8", "surrogateescape")
        if len(_STRAY_BYTE.findall(text)) > 16:  # not UTF-8 with a few strays: leave it
            return data
        text = _STRAY_BYTE.sub(
            lambda m: m.group().encode("utf-8", "surrogateescape").decode("cp1252", "replace"),
            text,
        )
        data = text.encode("utf-8")
    return data


def _not_a_feed_reason(data: bytes, doc: Any) -> str:
    head = data[:2048].lower()
    if b"<html" in head or b"<!doctype html" in head:
        return "not a feed: the server sent an HTML page"
    if b"\x00" not in head[:64] and not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "not a feed: the body is neither XML nor JSON"
    error = doc.get("bozo_exception")
    return f"not a feed: {error}" if error else "not a feed: no RSS, Atom or JSON Feed found"


def _fp_entry(e: Any, base: str | None, atom: bool, feed_author: str | None) -> ParsedEntry:
    content = e.get("content") or []
    published = _fp_date(e, "published")
    updated = _fp_date(e, "updated")
    author = _fp_people(e)
    if author is None and atom:  # RFC 4287 4.2.1, as in _atom_entry
        author = _fp_people(e.get("source") or {})
        if author is None:
            author = feed_author
    # feedparser copies content into summary when there is none; only summary_detail is real.
    summary = e.get("summary_detail")
    return ParsedEntry(
        id=_strip(e.get("id")),
        link=_join(base, _fp_link(e, atom)),
        title=_line(_fp_text(e.get("title_detail"), e.get("title"), atom)),
        summary=_fp_text(summary, summary.get("value"), atom) if summary else None,
        content=_fp_text(content[0], content[0].get("value"), atom) if content else None,
        author=author or None,
        published=published or updated,
        updated=updated or published,
        tags=_tags(t.get("term") or t.get("label") or "" for t in e.get("tags", [])),
    )


def _fp_link(e: Any, atom: bool) -> str | None:
    """The entry's link as the fast path picks it, from what feedparser found."""
    links = e.get("links") or []
    if atom:
        fallback = None
        for link in links:
            rel = link.get("rel") or "alternate"
            if rel == "alternate":
                return _strip(link.get("href"))
            if fallback is None and rel not in ("self", "enclosure", "edit", "replies", "hub"):
                fallback = _strip(link.get("href"))
        return fallback  # never the id, which feedparser copies into link when it has none
    link = _strip(e.get("link"))
    if link and e.get("guidislink") and not link.startswith(("http://", "https://")):
        return None  # a permalink guid that is no URL is still a fine id, but no link
    return link


def _fp_people(context: Any) -> str | None:
    people = context.get("authors")
    if not people:
        return None
    names = [p.get("name") for p in people]
    return _people(names, [p.get("email") for p in people]) or ""


def _fp_text(detail: Any, value: str | None, atom: bool = False) -> str | None:
    kind = (detail or {}).get("type", "text/html")
    if "html" in kind:
        return html_to_text(value)
    # Atom type="text" is literal; RSS text that feedparser did not take for HTML still may be.
    if atom:
        return _collapse(value) if value else None
    return text_of(value)


def _fp_date(e: Any, key: str) -> datetime | None:
    # dict.get: FeedParserDict.get("updated") answers with "published" (and warns) when the
    # entry has no updated date, a stopgap feedparser means to remove.
    raw = dict.get(e, key)
    if raw and (strict := parse_date(raw, fallback=False)) is not _UNKNOWN:
        return strict  # our strict reading (None for an impossible date)
    return _from_struct(dict.get(e, f"{key}_parsed"))


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
    number = version.rsplit("/", 1)[-1]
    fmt = "json" + (number + "0" if number.isdigit() else number.replace(".", ""))
    home = _join(url or None, _str(doc.get("home_page_url")))
    base = home if home and home.startswith(("http://", "https://")) else url or None
    # JSON Feed 1.1: an item without authors has the feed's.
    feed_author = _json_people(doc)
    entries = tuple(_json_item(item, base, feed_author) for item in items if isinstance(item, dict))
    return ParsedFeed(
        format=fmt,
        title=_line(text_of(_str(doc.get("title")))),
        link=home,
        ttl=None,
        entries=entries,
    )


def _json_people(node: dict[str, Any]) -> str | None:
    authors = node.get("authors")
    if not isinstance(authors, list):
        authors = [node["author"]] if isinstance(node.get("author"), dict) else []
    names = [a.get("name") for a in authors if isinstance(a, dict)]
    return _people((n for n in names if isinstance(n, str)), [])


def _json_item(item: dict[str, Any], base: str | None, feed_author: str | None) -> ParsedEntry:
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
        link=_join(base, _str(item.get("url")) or _str(item.get("external_url"))),
        title=_line(text_of(_str(item.get("title")))),
        summary=text_of(_str(item.get("summary"))),
        content=content,
        author=_json_people(item) or feed_author,
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
    if "<" not in value:
        return _collapse(unescape(value) if "&" in value else value)
    value = _DROP.sub(" ", value)
    # In HTML a line break in the source is a space; only block elements start a new line.
    if "\n" in value:
        value = value.replace("\n", " ")
    if "\r" in value:
        value = value.replace("\r", " ")
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
            out.append(node.tail.replace("\n", " "))
        return
    block = tag in _BLOCK_TAGS
    if block:
        out.append("\n")
    if node.text and isinstance(node.tag, str):
        out.append(node.text.replace("\n", " "))
    for child in node:
        _walk_text(child, out)
    if block:
        out.append("\n")
    if node.tail:
        out.append(node.tail.replace("\n", " "))


def _collapse(text: str) -> str | None:
    """Runs of whitespace become one space within a line; blank lines go."""
    if "\r" in text:
        text = text.replace("\r", "\n")
    if not _messy(text):
        # No line needs more than a strip (the usual case): the loop below, in C.
        if "\n" not in text:
            return text.strip() or None
        return "\n".join(filter(None, map(str.strip, text.split("\n")))) or None
    lines = []
    for line in text.split("\n"):
        # Most lines are already clean; the full split-and-join only where they are not.
        line = " ".join(line.replace("\u200b", "").split()) if _messy(line) else line.strip()
        if line:
            lines.append(line)
    return "\n".join(lines) or None


def _messy(text: str) -> bool:
    """Whether ``text`` has whitespace that a strip does not clean up."""
    return "  " in text or "\t" in text or "\xa0" in text or "\u200b" in text or "\f" in text


def _line(text: str | None) -> str | None:
    """A title, name or tag on one line: a line break inside one is only a wrapped line."""
    return text.replace("\n", " ") if text and "\n" in text else text


def _people(names: Iterable[str | None], emails: Iterable[str | None]) -> str | None:
    """Distinct names joined by ", "; an email address where nobody is named."""
    found = _tags(n for n in names if n)
    if found:
        return ", ".join(found)
    return next((e.strip() for e in emails if e and e.strip()), None)


def _rss_people(values: list[str]) -> str | None:
    """RSS ``<author>`` is an email address, usually "jane@example.com (Jane Doe)"."""
    names: list[str | None] = []
    emails: list[str | None] = []
    for value in values:
        text = _line(text_of(value))
        email = _EMAIL.search(text) if text and "@" in text else None
        if text and email:
            text = text.replace(email.group(), "").replace("()", "").replace("<>", "").strip()
            text = text.removeprefix("(").removesuffix(")").strip()
            emails.append(email.group())
        names.append(text)
    return _people(names, emails)


def _strip(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _resolve(node: Any, href: str | None, site: str | None = None) -> str | None:
    """``href`` made absolute: against xml:base if the document sets one, else ``site``."""
    href = _strip(href)
    if not href or href.startswith(("https://", "http://")) or node is None:
        return href
    base: str | None = site if site and not _has_xml_base(node) else node.base
    return urljoin(base, href) if base else href


def _has_xml_base(node: Any) -> bool:
    while node is not None:
        if node.get(XML_BASE) is not None:
            return True
        node = node.getparent()
    return False


def _join(base: str | None, href: str | None) -> str | None:
    if not href or not base or href.startswith(("https://", "http://")):
        return href
    return urljoin(base, href)


def _tags(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        text = _line(text_of(value))
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
    if _ISO_COMMON.match(value):
        try:
            return datetime.fromisoformat(value).astimezone(UTC)
        except (ValueError, OverflowError):  # 31 February; year 1 east of Greenwich
            return None
    if m := _ISO.match(value):
        return _iso_date(m)
    if (m := _RFC822.match(value)) and (month := _MONTHS.get(m.group(2).lower())):
        return _rfc822_date(m, month)
    if _RFC822_SHAPE.search(value):
        parts = parsedate_tz(value)
        if parts is not None:
            offset = parts[9] or 0
            if not offset:  # 0 also stands for a zone name that email.utils does not know
                offset = _ZONES.get(value.rsplit(None, 1)[-1].upper(), 0) * 3600
            return _utc(*parts[:6], offset)  # None for 31 February, month 13, hour 25
    if value.isdigit() and len(value) > 8:  # a Unix time, which feedparser reads as year 1741
        return None
    if not fallback:
        return _UNKNOWN  # type: ignore[no-any-return]
    return _from_struct(feedparser.datetimes._parse_date(value))


def _from_struct(parsed: Any) -> datetime | None:
    """A UTC ``time.struct_time`` from feedparser as a datetime; None if out of range."""
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _rfc822_date(m: re.Match[str], month: int) -> datetime | None:
    day, _, year, hour, minute, second, sign, zh, zm = m.groups()
    offset = (int(zh) * 3600 + int(zm) * 60) * (-1 if sign == "-" else 1) if sign else 0
    return _utc(int(year), month, int(day), int(hour), int(minute), int(second or 0), offset)


def _iso_date(m: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, zone = m.groups()
    offset = 0
    if zone and zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60)
    return _utc(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), offset
    )


def _utc(
    year: int, month: int, day: int, hour: int, minute: int, second: int, offset: int
) -> datetime | None:
    """The UTC moment of a local time ``offset`` seconds east of UTC; None if there is none."""
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        return moment - timedelta(seconds=offset) if offset else moment
    except (ValueError, OverflowError):  # 31 February, hour 25, or beyond year 1..9999
        return None
