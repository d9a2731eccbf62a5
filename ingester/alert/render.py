"""Alerts in words: plain text and HTML for mail, and the JSON, Slack and Discord payloads.

Pure functions; no I/O. Feed text is treated as hostile: every piece of it loses its control
characters and bidi overrides, and is escaped for the place it lands in (HTML entities for mail,
``& < >`` entities for Slack mrkdwn, backslashes for Discord markdown). Mass mentions
(``@everyone``, ``@here``, ``@channel``) get a zero-width space after the ``@``, and only absolute
http(s) URLs become links, so a ``javascript:`` link in a feed stays text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from . import Alert, AlertArticle

PRODUCT = "feed-ingester"
ELLIPSIS = "…"

# C0 controls but tab and newline, DEL, C1, and the bidi embeddings, overrides and isolates that
# can make a title read backwards (the "Trojan Source" trick, CVE-2021-42574).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NEWLINES = re.compile("\r\n|[\r\u2028\u2029\x85]")
_MASS_MENTION = re.compile(r"@(?=(?:everyone|here|channel)\b)", re.IGNORECASE)
_ZWSP = "\u200b"

SLACK_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
SLACK_URL_ESCAPES = {**SLACK_ESCAPES, "|": "%7C"}  # "|" would end the URL of <url|label>
# Discord's markdown treats a backslash before any punctuation as an escape.
DISCORD_ESCAPES = {c: "\\" + c for c in "\\*_~`|>#-[]()<"}
SLACK_MAX_ARTICLES = 20  # a message holds at most 50 blocks
DISCORD_MAX_EMBEDS = 10  # Discord's limit per message
DISCORD_EMBED_BUDGET = 5800  # Discord caps the text of all embeds of a message at 6000


# --- feed text ---------------------------------------------------------------------------------


def clean(text: str) -> str:
    """The text with line breaks as ``\\n`` and without other control characters."""
    return _CONTROL.sub("", _NEWLINES.sub("\n", text))


def one_line(text: str) -> str:
    """The text cleaned, on one line, with runs of whitespace as single spaces."""
    return " ".join(clean(text).split())


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def escape_fit(text: str, limit: int, escapes: Mapping[str, str]) -> str:
    """``text`` escaped character by character, cut (with an ellipsis) to at most ``limit``
    characters of output. Cutting after escaping never splits an entity or an escape."""
    pieces = [escapes.get(ch, ch) for ch in text]
    if sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept: list[str] = []
    size = 0
    for piece in pieces:
        if size + len(piece) > limit - 1:
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept) + ELLIPSIS


def link_target(url: str) -> str | None:
    """The URL if it is an absolute http(s) URL a reader can follow safely, else None."""
    url = url.strip()
    if not url or _CONTROL.search(url) or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def title_of(article: AlertArticle) -> str:
    return one_line(article.title) or one_line(article.url) or "(untitled)"


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def reason(article: AlertArticle) -> str:
    """Why the article matched, one term after another: "CSTO in title; Kazakhstan in body"."""
    fields: dict[str, list[str]] = {}
    for term, field in article.matched:
        where = fields.setdefault(one_line(term), [])
        if one_line(field) not in where:
            where.append(one_line(field))
    return "; ".join(f"{term} in {_and_list(where)}" for term, where in fields.items())


def when(moment: datetime | None) -> str:
    """A date for people: "2026-11-01 12:00 UTC"."""
    if moment is None:
        return ""
    return _utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def iso(moment: datetime) -> str:
    """A date for programs: ISO 8601 in UTC with a "Z"."""
    return _utc(moment).isoformat().replace("+00:00", "Z")


def _utc(moment: datetime) -> datetime:
    # Naive times are UTC by the models' convention.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def details(article: AlertArticle) -> str:
    """Where and when: "Feed A, Feed B · 2026-11-01 12:00 UTC"."""
    sources = ", ".join(one_line(feed) for feed in article.source_feeds if one_line(feed))
    return " · ".join(part for part in (sources, when(article.published)) if part)


def keywords(article: AlertArticle) -> str:
    return ", ".join(word for word in map(one_line, article.keywords) if word)


# --- headlines ---------------------------------------------------------------------------------


def headline(alert: Alert) -> str:
    """The first article's title, with " and N more" for a digest."""
    if not alert.articles:
        return "(no articles)"
    first = shorten(title_of(alert.articles[0]), 150)
    more = len(alert.articles) - 1
    return f"{first} and {more} more" if more else first


def intro(alert: Alert) -> str:
    """What happened: 'New match for watch "CSTO"', '3 stories updated for watch "CSTO"'."""
    count = len(alert.articles)
    watch = one_line(alert.watch)
    if alert.event == "story.updated":
        what = "Story updated" if count == 1 else f"{count} stories updated"
    else:
        what = "New match" if count == 1 else f"{count} new matches"
    return f'{what} for watch "{watch}"'


def subject(alert: Alert) -> str:
    """A mail subject on one line: "[watch] title and N more"."""
    return f"[{shorten(one_line(alert.watch), 60)}] {headline(alert)}"


# --- mail --------------------------------------------------------------------------------------


def text_body(alert: Alert) -> str:
    lines = [intro(alert), ""]
    for article in alert.articles:
        lines.append(title_of(article))
        lines.append(f"  {one_line(article.url)}")
        lines += _labelled(article, "  ")
        lines.append("")
    lines += ["-- ", f"Sent by {PRODUCT} (alert {one_line(alert.id)})."]
    return "\n".join(lines) + "\n"


def _labelled(article: AlertArticle, indent: str) -> list[str]:
    found = [
        ("Matched", reason(article)),
        ("Snippet", shorten(one_line(article.snippet), 500)),
        ("Source", details(article)),
        ("Keywords", keywords(article)),
    ]
    return [f"{indent}{label}: {value}" for label, value in found if value]


def html_body(alert: Alert) -> str:
    """HTML in which every piece of text, from the feed or the config, is escaped."""
    e = html.escape
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        '<body style="font-family:sans-serif;line-height:1.4">',
        f"<p><strong>{e(intro(alert))}</strong></p>",
    ]
    for article in alert.articles:
        title = e(title_of(article))
        target = link_target(article.url)
        heading = f'<a href="{e(target)}">{title}</a>' if target else title
        parts.append(f'<div style="margin:1.2em 0"><div style="font-size:1.1em">{heading}</div>')
        if found := reason(article):
            parts.append(f'<div style="color:#444">Matched: {e(found)}</div>')
        if snippet := shorten(one_line(article.snippet), 500):
            parts.append(
                '<blockquote style="margin:.4em 0;padding-left:.8em;border-left:3px solid #ccc">'
                f"{e(snippet)}</blockquote>"
            )
        for label, value in (("Source", details(article)), ("Keywords", keywords(article))):
            if value:
                parts.append(f'<div style="color:#666;font-size:.9em">{label}: {e(value)}</div>')
        parts.append("</div>")
    parts.append(
        f'<p style="color:#888;font-size:.8em">Sent by {PRODUCT} (alert {e(one_line(alert.id))}).'
        "</p></body></html>"
    )
    return "\n".join(parts) + "\n"


# --- webhooks ----------------------------------------------------------------------------------


def json_payload(alert: Alert) -> dict[str, Any]:
    """The Standard Webhooks envelope: {"type", "timestamp", "data"}; feed text kept as is
    (but for control characters): the receiver escapes it for wherever it shows it."""
    return {
        "type": alert.event,
        "timestamp": iso(alert.created),
        "data": {
            "watch": alert.watch,
            "alert_id": alert.id,
            "thread_of": alert.thread_of,
            "articles": [_json_article(article) for article in alert.articles],
        },
    }


def _json_article(article: AlertArticle) -> dict[str, Any]:
    return {
        "title": clean(article.title),
        "url": article.url,
        "source_feeds": list(article.source_feeds),
        "published": iso(article.published) if article.published else None,
        "keywords": list(article.keywords),
        "matched": [{"term": term, "field": field} for term, field in article.matched],
        "snippet": clean(article.snippet),
    }


def slack_text(text: str, limit: int) -> str:
    """Feed text for Slack mrkdwn: one line, ``& < >`` escaped (which also defuses
    ``<!channel>``, ``<@U123>`` and ``<url|label>``), plain mass mentions broken."""
    return escape_fit(_MASS_MENTION.sub("@" + _ZWSP, one_line(text)), limit, SLACK_ESCAPES)


def discord_text(text: str, limit: int) -> str:
    """Feed text for Discord markdown: one line, markdown and ``<@id>`` escaped, mass mentions
    broken. ``allowed_mentions`` stops pings anyway; this also stops them looking like pings."""
    return escape_fit(_MASS_MENTION.sub("@" + _ZWSP, one_line(text)), limit, DISCORD_ESCAPES)


def slack_payload(alert: Alert) -> dict[str, Any]:
    """An incoming-webhook message: a fallback ``text`` for notifications and mrkdwn blocks."""
    shown = alert.articles[:SLACK_MAX_ARTICLES]
    blocks: list[dict[str, Any]] = [_slack_section(f"*{slack_text(intro(alert), 500)}*")]
    blocks += [_slack_section(_slack_article(article)) for article in shown]
    if len(alert.articles) > len(shown):
        more = f"…and {len(alert.articles) - len(shown)} more"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {
        "text": slack_text(subject(alert), 500),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _slack_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _slack_article(article: AlertArticle) -> str:
    # A section's text holds 3000 characters: 1000 + 250 + 300 + 600 + 300 and the markup fit.
    title = slack_text(title_of(article), 250)
    target = link_target(article.url)
    if target is not None:
        target = "".join(SLACK_URL_ESCAPES.get(ch, ch) for ch in target)
    lines = [f"*<{target}|{title}>*" if target and len(target) <= 1000 else f"*{title}*"]
    if found := reason(article):
        lines.append("Matched: " + slack_text(found, 300))
    if article.snippet.strip():
        lines.append("> " + slack_text(article.snippet, 600))
    if where := details(article):
        lines.append("_" + slack_text(where, 300) + "_")
    return "\n".join(lines)


def discord_payload(alert: Alert) -> dict[str, Any]:
    """An execute-webhook message: a line of content and one embed per article (up to 10).
    ``allowed_mentions`` with an empty ``parse`` list lets nothing in it ping anyone."""
    shown = alert.articles[:DISCORD_MAX_EMBEDS]
    content = f"**{discord_text(intro(alert), 500)}**"
    if len(alert.articles) > len(shown):
        content += f"\n…and {len(alert.articles) - len(shown)} more"
    budget = min(2000, DISCORD_EMBED_BUDGET // max(1, len(shown)))
    return {
        "content": content,
        "embeds": [_discord_embed(article, budget) for article in shown],
        "allowed_mentions": {"parse": []},
    }


def _discord_embed(article: AlertArticle, budget: int) -> dict[str, Any]:
    title = discord_text(title_of(article), min(256, budget // 4))
    rest = budget - len(title)
    lines: list[str] = []
    if found := reason(article):
        lines.append("Matched: " + discord_text(found, rest // 4))
    if article.snippet.strip():
        lines.append("> " + discord_text(article.snippet, rest // 2))
    if where := details(article):
        lines.append(discord_text(where, rest // 5))
    embed: dict[str, Any] = {"title": title, "description": "\n".join(lines)}
    target = link_target(article.url)
    if target is not None and len(target) <= 2000:
        embed["url"] = target
    if article.published is not None:
        embed["timestamp"] = iso(article.published)
    return embed
