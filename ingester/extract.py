"""Turns an article page into an ``Extraction``: the story's text without the site's chrome.

    page ─ decode ─ trafilatura (precision) ─ drop title and label lines ─ check ─ Extraction
                                   └ a recall run, or the feed's text, when the check fails

trafilatura finds the body; this module decides whether to believe it. The feed item's own text
(``feed_text``: its content or summary) is the fallback when the page fails and the evidence for
choosing a text. Each rule was measured on ``tests/data/pages`` with
``tests/benchmarks/bench_extract.py``: the mean word 4-gram F1 over the 26 pages is 0.989 with
all of them, and the figure in brackets is what it falls to without that rule.

1. The page is unusable: none, not HTML (by content type, else by sniffing), larger than
   ``MAX_PAGE_BYTES``, or unparseable. The feed's text is the body (method "feed").
2. trafilatura runs with ``favor_precision`` (0.985 with its balanced default), no comments,
   tables kept. Lines that repeat the page's title (0.983) or are short labelled links and
   credits, "Read more: ...", "Photo: ..." (0.986), are dropped.
3. Too short or unrelated: fewer than ``MIN_WORDS`` words, or, when the feed's text is
   substantial, under ``RELATED_MIN`` of its content words on the page (a consent, login or
   error page). A ``favor_recall`` run gets one more try (0.959 without it), then the feed's
   text wins (0.920 without the rule).
4. Paywall: the page declares ``isAccessibleForFree: false`` and shows fewer than
   ``PAYWALL_WORDS`` words, a teaser and an offer; the feed's text wins (0.964).
5. The feed's text has ``FEED_LONGER`` times the page's words (the page is cut short or loads
   the rest with JavaScript): it is the full story, method "trafilatura+feed" (0.973).

trafilatura alone scores 0.851 with its defaults and 0.820 with favor_precision (0.964 and
0.927 on the 22 pages whose story is on the page, where this module scores 0.987). Tried and
left out: trafilatura's duplicate filter (no change); a recall run when the precision run
misses the feed's teaser (0.988: it pulls in a standfirst); prepending a teaser that is on the
page but not in the body (0.991, but one page up and one down: it helps where the lede sits
outside the body container and hurts where the teaser is a standfirst, which the goldens leave
out). Credit lines such as "With reporting by AFP and TASS" or "Reporting by ...; Editing by
..." stay: they are the article's own text.

Paragraphs come out one per line. Metadata is read from the page's markup only (meta tags,
JSON-LD, ``<time>``, ``<html lang>``): trafilatura's own metadata search halves throughput.
``lang`` is the declared language reduced to ISO 639-1; dates are UTC. When the page is judged
not to be the article (rules 1 and 3), its metadata is dropped with it. ``extract`` never
raises: bad input gives method "feed" or "none" and a ``problem``. This module does no I/O,
keeps no state between calls (it runs in worker processes) and imports no other stage.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Iterator
from copy import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import trafilatura
from trafilatura.settings import Extractor

from .models import Extraction

# trafilatura logs an ERROR for pages it cannot use; here that is an expected outcome, reported
# in Extraction.problem, and not something for the service's log.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

MAX_PAGE_BYTES = 10_000_000
MIN_WORDS = 20  # a body shorter than this is an error page or a stub, not an article
PAYWALL_WORDS = 150  # a declared paywall page shorter than this shows only a teaser
FEED_MIN_STEMS = 8  # feed text with fewer distinct content words proves nothing
RELATED_MIN = 0.2  # share of the feed's content words that the page must contain
FEED_LONGER = 1.2  # the feed's text wins when it has this many times the page's words

# Built once per process: reading the options on every call costs trafilatura an eighth of its time.
_PRECISION = Extractor(output_format="txt", precision=True, comments=False, tables=True)
_RECALL = Extractor(output_format="txt", recall=True, comments=False, tables=True)
_MISMATCH = "the page's text does not match the feed's (consent, login or error page?)"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SNIFF_TYPES = ("", "application/octet-stream", "binary/octet-stream")
_HTML_START = re.compile(
    r"<(?:!doctype\s+html|html|head|body|meta|title|article|main|div|p|h1)\b", re.IGNORECASE
)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_:.+-]+)""")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.+-]+)", re.IGNORECASE)
# WHATWG Encoding: browsers read these labels as the superset on the right.
_ENCODING_ALIASES = {
    **dict.fromkeys(("iso-8859-1", "iso8859-1", "latin1", "latin-1", "ascii"), "cp1252"),
    **dict.fromkeys(("us-ascii", "windows-1252"), "cp1252"),
    **dict.fromkeys(("gb2312", "gbk"), "gb18030"),
    "tis-620": "cp874",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_PAYWALL = re.compile(
    r"""isAccessibleForFree["']?\s*(?::|content\s*=)\s*["']?\s*false""", re.IGNORECASE
)
# Labels of inline links and image credits, in the languages of the feeds we know.
_LABEL_LINE = re.compile(
    r"^(?:read more|read also|also read|see also|related|more on this|photo|image source"
    r"|читайте также|читайте еще|смотрите также|подробнее|фото|сондай-ақ оқыңыз)\s*(?::|$)",
    re.IGNORECASE,
)
_TITLE_KEYS = ("og:title", "twitter:title", "headline")
_AUTHOR_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
_DATE_KEYS = (
    *("article:published_time", "og:article:published_time", "datepublished"),
    *("parsely-pub-date", "sailthru.date", "publishdate", "pubdate", "dc.date.issued", "date"),
)
_LANG_KEYS = ("og:locale", "content-language", "language", "dc.language")
_TITLE_SEPARATORS = re.compile(r"\s+[|–—-]\s+")
_LANG_TAG = re.compile(r"^[A-Za-z]{2}(?:[-_][A-Za-z0-9]+)*$")
_BYLINE = re.compile(r"^(?:by|от|автор)\s+", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


def extract(
    page: bytes | str | None,
    *,
    url: str | None = None,
    feed_text: str | None = None,
    content_type: str | None = None,
) -> Extraction:
    """The body and metadata of an article page, or the feed's text where the page fails."""
    feed = _clean_text(feed_text)
    try:
        return _extract(page, url, feed, content_type)
    except Exception as exc:  # trafilatura and lxml on hostile input; never take a worker down
        return _fallback(feed, f"extraction failed: {type(exc).__name__}: {exc}")


def _extract(
    page: bytes | str | None, url: str | None, feed: str | None, content_type: str | None
) -> Extraction:
    if page is not None and len(page) > MAX_PAGE_BYTES:
        return _fallback(feed, f"page too large ({len(page)} bytes)")
    if page is None or not page.strip():
        return _fallback(feed, "no page")
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in _HTML_TYPES and media_type not in _SNIFF_TYPES:
        return _fallback(feed, f"not HTML ({media_type})")
    html = page if isinstance(page, str) else decode(page, content_type)
    html = _XML_DECLARATION.sub("", html, count=1)  # lxml refuses text that names its encoding
    if _binary(html[:4096]) or not _HTML_START.search(html, 0, 65536):
        return _fallback(feed, "not HTML")
    tree = trafilatura.load_html(html)
    if tree is None:
        return _fallback(feed, "unreadable HTML")
    meta = _metadata(tree)
    body = _body(tree, url, meta.title, recall=False)
    method = "trafilatura"
    if problem := _failure(body, feed):
        body = _body(tree, url, meta.title, recall=True)
        if retry_problem := _failure(body, feed):
            return _fallback(feed, retry_problem)
        if problem == _MISMATCH:  # the feed's text chose the recall run
            method = "trafilatura+feed"
    assert body is not None  # _failure found enough words in it
    words = _words(body)
    if words < PAYWALL_WORDS and _PAYWALL.search(html):
        return _fallback(feed, "paywall: the page shows only a teaser", meta)
    if feed and _words(feed) > FEED_LONGER * words:
        body, method = feed, "trafilatura+feed"
    return Extraction(
        body=body,
        title=meta.title,
        author=meta.author,
        published=meta.published,
        lang=meta.lang,
        method=method,
    )


# -- decoding -----------------------------------------------------------------------------------


def decode(data: bytes, content_type: str | None = None) -> str:
    """Page bytes as text: by BOM, else the HTTP charset, else the page's own declaration
    (``<meta charset>``, ``<?xml encoding>``), else UTF-8 with replacement characters."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    header = _CHARSET_PARAM.search(content_type) if content_type else None
    if header and (codec := _codec(header.group(1), in_page=False)):
        return data.decode(codec, errors="replace")
    head = data[:4096]
    for match in (_XML_ENCODING.search(head), _META_CHARSET.search(head)):
        if match and (codec := _codec(match.group(1).decode("ascii"), in_page=True)):
            return data.decode(codec, errors="replace")
    return data.decode("utf-8", errors="replace")


def _binary(head: str) -> bool:
    """Whether text is mostly not text: over 1% control characters (images, archives, PDFs
    carry them everywhere; an HTML page with a stray NUL does not)."""
    return len(_CONTROL.findall(head)) * 100 > len(head)


def _codec(label: str, *, in_page: bool) -> str | None:
    label = label.strip().lower()
    if in_page and label.startswith("utf-16"):  # a page that says so in ASCII is not UTF-16
        return "utf-8"
    try:
        return codecs.lookup(_ENCODING_ALIASES.get(label, label)).name
    except LookupError:
        return None


# -- the body -----------------------------------------------------------------------------------


def _body(tree: Any, url: str | None, title: str | None, *, recall: bool) -> str | None:
    options = _RECALL if recall else _PRECISION
    if url:  # trafilatura names the page in its log messages
        options = copy(options)
        options.url = options.source = url
    # trafilatura works on a copy of the tree, so one parsed tree serves every run
    text = trafilatura.extract(tree, options=options)
    return _drop_chrome_lines(_clean_text(text), title)


def _drop_chrome_lines(body: str | None, title: str | None) -> str | None:
    """The body without lines that repeat the page's title (trafilatura keeps some <h1>s) and
    short labelled lines: "Read more: <link>", "Photo: <credit>" and their like."""
    if not body:
        return None
    title_key = _key(title) if title else None
    lines = [
        line
        for line in body.split("\n")
        if _key(line) != title_key and not (_LABEL_LINE.match(line) and _words(line) <= 15)
    ]
    return "\n".join(lines) or None


# -- metadata -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Meta:
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    lang: str | None = None


def _metadata(tree: Any) -> _Meta:
    """Title, author, date and language as the page marks them up: meta tags, JSON-LD, <time>."""
    found: dict[str, list[str]] = {}
    for node in tree.iterfind(".//meta"):
        key = node.get("property") or node.get("name") or node.get("itemprop")
        key = (key or node.get("http-equiv") or "").strip().lower()
        if key and (content := _one_line(node.get("content"))):
            found.setdefault(key, []).append(content)
    for item in _json_ld(tree):
        for key in ("headline", "datePublished"):
            if isinstance(value := item.get(key), str) and (value := _one_line(value)):
                found.setdefault(key.lower(), []).append(value)
        for name in _ld_names(item.get("author")):
            found.setdefault("ld-author", []).append(name)
    for node in tree.iterfind(".//time[@datetime]"):
        if node.get("pubdate") is not None or node.get("itemprop") == "datePublished":
            found.setdefault("time", []).append(node.get("datetime"))
    return _Meta(
        title=next(_values(found, _TITLE_KEYS), None) or _page_title(tree),
        author=_author(found),
        published=next(filter(None, map(_utc, _values(found, (*_DATE_KEYS, "time")))), None),
        lang=_lang([tree.get("lang"), *_values(found, _LANG_KEYS)]),
    )


def _json_ld(tree: Any) -> Iterator[dict[str, Any]]:
    """The objects of the page's JSON-LD blocks that describe a piece of writing."""
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                if "headline" in item or "datePublished" in item:
                    yield item
                if isinstance(graph := item.get("@graph"), list):
                    stack.extend(reversed(graph))


def _ld_names(value: Any) -> Iterator[str]:
    for item in value if isinstance(value, list) else [value]:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and (name := _one_line(name)):
            yield name


def _author(found: dict[str, list[str]]) -> str | None:
    names = found.get("ld-author")
    if not names:  # meta tags often hold a profile URL or an address instead of a name
        meta = (n for n in _values(found, _AUTHOR_KEYS) if "://" not in n and "@" not in n)
        names = [name] if (name := next(meta, None)) else []
    names = [_BYLINE.sub("", name) for name in names]
    return ", ".join(dict.fromkeys(name for name in names if name)) or None


def _page_title(tree: Any) -> str | None:
    """The <title> without the site's name ("Headline | Site"), else the first <h1>."""
    node = tree.find(".//title")
    if node is not None and (text := _one_line(node.text_content())):
        return max(_TITLE_SEPARATORS.split(text), key=len)
    node = tree.find(".//h1")
    return _one_line(node.text_content()) if node is not None else None


def _lang(values: list[str | None]) -> str | None:
    for value in values:
        value = (value or "").split(",")[0].strip()
        if _LANG_TAG.match(value):
            return value[:2].lower()
    return None


def _utc(value: str | None) -> datetime | None:
    """An ISO 8601 or RFC 822 date as UTC; a date without a zone is taken as UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _values(found: dict[str, list[str]], keys: tuple[str, ...]) -> Iterator[str]:
    for key in keys:
        yield from found.get(key, ())


# -- the feed's text as evidence ----------------------------------------------------------------


def _failure(body: str | None, feed: str | None) -> str | None:
    """Why ``body`` is not the article, judged by its length and by the feed's text."""
    words = _words(body)
    if words < MIN_WORDS:
        return f"extraction too short ({words} words)"
    if feed and not _related(feed, body or ""):
        return _MISMATCH
    return None


def _related(feed: str, body: str) -> bool:
    """Whether ``body`` shares enough of the feed's content words."""
    wanted = _stems(feed)
    if len(wanted) < FEED_MIN_STEMS:
        return True  # too little evidence to reject a page
    return len(wanted & _stems(body)) >= RELATED_MIN * len(wanted)


def _stems(text: str) -> set[str]:
    """Words of four letters or more, cut to five so that inflected forms meet
    (Токаев, Токаева, Токаеву; Kazakhstan, Kazakhstan's)."""
    return {word[:5] for word in _WORD.findall(text.lower()) if len(word) >= 4}


def _fallback(feed: str | None, problem: str, meta: _Meta | None = None) -> Extraction:
    """The feed's text as the body (method "feed"), or no body at all (method "none")."""
    meta = meta or _Meta()
    return Extraction(
        body=feed,
        title=meta.title,
        author=meta.author,
        published=meta.published,
        lang=meta.lang,
        method="feed" if feed else "none",
        problem=problem,
    )


# -- text ---------------------------------------------------------------------------------------


def _clean_text(text: str | None) -> str | None:
    """One paragraph per line: spaces collapsed, blank lines dropped."""
    if not text:
        return None
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line) or None


def _one_line(text: str | None) -> str | None:
    return _SPACE.sub(" ", text).strip() or None if text else None


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _words(text: str | None) -> int:
    return len(_WORD.findall(text)) if text else 0
