"""Keys, canonical links and fingerprints for parsed entries: the pure half of dedup.

Every entry gets a key that is stable across polls of its feed (GUID/id, else canonical link,
else a hash of title and date), a canonical URL that identifies the story across feeds
(tracking parameters, default ports, fragments and case differences removed), and a content
hash that tells an edited entry from an unchanged one. Repeats within one document are dropped.
The other half, "have we seen this before?", is a question for the store. No I/O here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url
from courlan.clean import TRACKERS_RE

from .models import Candidate, ParsedEntry

# Tracking parameters beyond courlan's list (which covers utm_*, fbclid, gclid, mc_*, ...).
_EXTRA_TRACKERS = frozenset({"_hsenc", "_hsmi", "yclid", "igshid", "mkt_tok", "oly_enc_id"})


_PLAIN_HOST = re.compile(r"[a-z0-9.-]+(?::[0-9]{1,5})?\Z")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/._~-]*\Z")
_DEFAULT_PORTS = (":80", ":443")


def canonical_url(link: str | None) -> str | None:
    """The canonical form of a link, or None if it is not an absolute http(s) URL."""
    if not link:
        return None
    link = link.strip().split("#", 1)[0]
    if not link[:8].lower().startswith(("http://", "https://")):
        return None
    plain = _plain_canonical(link)
    if plain is not None:
        return plain
    try:
        normal: str = normalize_url(link, strict=False)
    except (ValueError, TypeError):
        return None
    authority = normal.split("//", 1)[1].split("/", 1)[0].split("?", 1)[0] if "//" in normal else ""
    if not authority.rsplit("@", 1)[-1]:
        return None
    if normal.count("/") < 3:  # "https://host" and "https://host/" are one page
        normal = normal.replace("?", "/?", 1) if "?" in normal else normal + "/"
    if "?" in normal and any(name in normal for name in _EXTRA_TRACKERS):
        parts = urlsplit(normal)
        kept = [p for p in parts.query.split("&") if p.split("=", 1)[0] not in _EXTRA_TRACKERS]
        normal = urlunsplit(parts._replace(query="&".join(kept)))
    return normal


def _plain_canonical(link: str) -> str | None:
    """courlan's answer for the commonest shape, without courlan; None for anything else.

    Most feed links are a lower-case host, a plain path and either no query or only
    tracking parameters; for those courlan's result is the link minus its query, and working
    it out through courlan's general path was a third of a cold cycle's parse-and-dedupe time.
    ``tests/test_dedupe.py`` checks that both ways agree.
    """
    scheme, _, rest = link.partition("://")
    if scheme not in ("http", "https"):
        return None
    host, slash, path_query = rest.partition("/")
    if not slash or not _PLAIN_HOST.match(host) or host.endswith(_DEFAULT_PORTS):
        return None
    if "xn--" in host:  # courlan turns punycode into Unicode; leave that to it
        return None
    path, _, query = path_query.partition("?")
    if not _PLAIN_PATH.match(path) or "//" in path or "/." in path:
        return None
    if query and not all(
        TRACKERS_RE.search(param.partition("=")[0].lower()) for param in query.split("&")
    ):
        return None
    return f"{scheme}://{host}/{path}"


def entry_key(entry: ParsedEntry, url: str | None) -> str:
    """GUID/id where present, else canonical link, else a hash of title and date."""
    if entry.id:
        return f"id:{entry.id}"
    if url:
        return f"url:{url}"
    when = entry.published.isoformat() if entry.published else ""
    # Title and date only, so that an edited description keeps its key; an item without a
    # title (RSS allows description-only items) is known by its text instead.
    text = entry.title or entry.summary or entry.content or ""
    basis = f"{text}\x1f{when}"
    return "hash:" + hashlib.blake2b(basis.encode(), digest_size=16).hexdigest()


def content_hash(entry: ParsedEntry, url: str | None) -> str:
    parts = (url, entry.title, entry.summary, entry.content, entry.author)
    basis = "\x1f".join(p or "" for p in parts)
    return hashlib.blake2b(basis.encode(), digest_size=16).hexdigest()


def prepare(entries: Iterable[ParsedEntry]) -> tuple[Candidate, ...]:
    """Key and fingerprint each entry; the first of several with the same key wins."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for entry in entries:
        url = canonical_url(entry.link)
        key = entry_key(entry, url)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            Candidate(
                entry_key=key,
                url=url,
                link=entry.link,
                title=entry.title,
                summary=entry.summary,
                content=entry.content,
                author=entry.author,
                published=entry.published,
                updated=entry.updated,
                tags=entry.tags,
                content_hash=content_hash(entry, url),
            )
        )
    return tuple(out)
