"""``ingester watches ...`` and ``ingester alerts ...``: what the watches match, and the outbox."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import click
from rich.markup import escape
from rich.table import Table

from ..config import WatchSettings
from ..daemon import run_async
from ..deliver import build_notifier, sample_alert
from ..errors import AlertError, QueryError
from ..match import Matcher
from ..pipeline import find_matches, utc_now
from ..store import WatchStats
from . import EXIT_FAILURE, Context, _ago, _moment, cli, err, fail, handle_errors, out

WATCH_HINT = (
    'Watch syntax: words, "a phrase", AND, OR, NOT, parentheses, scopes title: body: feed: '
    "tag: lang: keyword: (see README, Watches)."
)
ALERT_STYLE = {"sent": "green", "pending": "yellow", "failed": "red"}


@cli.group()
def watches() -> None:
    """The watches of the config: what they matched, and what a query would match."""


@watches.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of watches.")
@click.pass_obj
@handle_errors
def watches_list(obj: Context, as_json: bool) -> None:
    """Each watch with its query, notifiers, matches and alerts."""
    settings = obj.settings
    store = obj.store()
    stats = store.watch_stats()
    store.close()
    rows = []
    for watch in settings.watches:
        stat = asdict(stats.get(watch.name) or WatchStats())
        rows.append(
            {
                "name": watch.name,
                "query": watch.query,
                "mode": watch.mode,
                "notify": list(watch.notify),
                "feeds": list(watch.feeds),
                "tags": list(watch.tags),
                "rate_limit": list(watch.rate_limit) if watch.rate_limit else None,
                **stat,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        err.print("no watches in the config; add [[watches]] (see README, Watches)")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("watch", "query", "notify", "matches", "last match", "alerts"):
        table.add_column(column, justify="right" if column == "matches" else "left")
    now = utc_now()
    for row in rows:
        scope = [f"feeds: {', '.join(row['feeds'])}"] if row["feeds"] else []
        scope += [f"tags: {', '.join(row['tags'])}"] if row["tags"] else []
        alerts = f"[green]{row['sent']} sent[/]"
        alerts += f", [yellow]{row['pending']} pending[/]" if row["pending"] else ""
        alerts += f", [red]{row['failed']} failed[/]" if row["failed"] else ""
        alerts += f", {row['queued']} for the digest" if row["queued"] else ""
        table.add_row(
            escape(row["name"]) + (f"\n[dim]{row['mode']}[/]" if row["mode"] != "instant" else ""),
            escape(row["query"]) + "".join(f"\n[dim]{escape(s)}[/]" for s in scope),
            escape(", ".join(row["notify"])) or "[dim]-[/]",
            str(row["matches"]),
            _ago(row["last_match"], now),
            alerts,
        )
    out.print(table)


@watches.command("test")
@click.argument("query_or_name")
@click.option(
    "--since",
    default="30d",
    show_default=True,
    help="Articles first seen since: an age (30d, 12h) or a date (2026-01-13).",
)
@click.option("-n", "--limit", default=50, show_default=True, help="Show at most this many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
@handle_errors
def watches_test(obj: Context, query_or_name: str, since: str, limit: int, as_json: bool) -> None:
    """Run a watch (by name) or a query over the stored articles; send nothing.

    Shows what would have alerted, and why ("CSTO in title; Kazakhstan in body").
    """  # fmt: skip
    settings = obj.settings
    watch = settings.watch(query_or_name)
    if watch is None:
        watch = WatchSettings(name="(query)", query=query_or_name)
    try:
        matcher = Matcher({watch.name: watch.query}, settings.aliases)
    except QueryError as exc:
        fail(str(exc), 2, WATCH_HINT)
    store = obj.store()
    targets = store.match_targets(_moment(since, "--since"), 1_000_000)
    store.close()
    found = find_matches(matcher, [watch], targets)
    by_id = {target.id: target for target in targets}
    for match in found[:limit]:
        target = by_id[match.article_id]
        record = {
            "article_id": target.id,
            "title": target.title,
            "url": target.url,
            "first_seen": target.first_seen.isoformat() if target.first_seen else None,
            "feeds": list(target.feeds),
            "matched": [{"term": h.term, "field": h.field, "text": h.text} for h in match.hits],
            "snippet": next((h.snippet for h in match.hits if h.field in ("title", "body")), ""),
        }
        if as_json:
            click.echo(json.dumps(record, ensure_ascii=False))
            continue
        reason = "; ".join(str(hit) for hit in match.hits) or "matched (nothing to show)"
        out.print(f"[bold]{escape(target.title or '(no title)')}[/]")
        when = target.first_seen.strftime("%Y-%m-%d %H:%M") if target.first_seen else ""
        out.print(f"  [blue]{escape(target.url or '')}[/]  [dim]{when} · "
                  f"{escape(', '.join(target.feeds))}[/]")  # fmt: skip
        out.print(f"  [green]{escape(reason)}[/]")
        if record["snippet"]:
            out.print(f"  [dim]{escape(str(record['snippet']))}[/]")
    shown = f" (showing {limit})" if len(found) > limit else ""
    err.print(
        f"{len(found)} of {len(targets)} articles since {since} would have alerted "
        f"{'watch ' + watch.name if watch.name != '(query)' else 'this query'}{shown}; "
        "nothing was sent"
    )


@cli.group()
def alerts() -> None:
    """The outbox: alerts sent, pending and failed; retry and test sends."""


@alerts.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), help="Only these.")
@click.option("--watch", help="Only this watch's alerts.")
@click.option("-n", "--limit", default=50, show_default=True, help="The newest this many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of alerts.")
@click.pass_obj
@handle_errors
def alerts_list(
    obj: Context, status: str | None, watch: str | None, limit: int, as_json: bool
) -> None:
    """Alerts, newest first, with their status, attempts and last error."""
    store = obj.store()
    rows = store.alerts(status, watch, limit)
    store.close()
    if as_json:
        click.echo(json.dumps([asdict(row) for row in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        err.print("no alerts" + (f" with status {status}" if status else ""))
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("id", "status", "watch", "notifier", "article", "created", "note"):
        table.add_column(column, no_wrap=column in ("id", "status", "created"))
    now = utc_now()
    for row in rows:
        style = ALERT_STYLE.get(row.status, "")
        status_text = row.status + (f" ×{row.attempts}" if row.attempts > 1 else "")
        article = escape(row.title or row.url or "")
        if row.kind == "digest":
            article = f"[dim]digest of {row.articles}:[/] {article}"
        if row.status == "pending" and row.next_attempt_at:
            note = f"next try {_ago(row.next_attempt_at, now)}"
        elif row.status == "sent":
            note = f"sent {_ago(row.sent_at, now)}"
        else:
            note = ""
        if row.last_error:
            note = (note + "\n" if note else "") + f"[red]{escape(row.last_error)}[/]"
        table.add_row(
            str(row.id), f"[{style}]{status_text}[/]", escape(row.watch), escape(row.notifier),
            article, _ago(row.created_at, now), note,
        )  # fmt: skip
    out.print(table)


@alerts.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--failed", "all_failed", is_flag=True, help="Every failed alert.")
@click.pass_obj
@handle_errors
def alerts_retry(obj: Context, ids: tuple[int, ...], all_failed: bool) -> None:
    """Send failed (or pending) alerts again at the next tick, attempts reset.

    Give alert IDs (see `ingester alerts list`) or --failed. A notifier disabled by a 410
    is enabled again for them.
    """
    if bool(ids) == all_failed:
        fail(
            "give alert IDs or --failed (not both)",
            2,
            "See `ingester alerts list --status failed`.",
        )
    store = obj.store()
    try:
        if ids:
            unknown = sorted(set(ids) - store.alert_ids(ids))
            if unknown:
                fail(f"no alert with id {', '.join(map(str, unknown))}",
                     hint="See `ingester alerts list`.")  # fmt: skip
        changed = store.retry_alerts(list(ids) if ids else None, utc_now())
    finally:
        store.close()
    out.print(f"{changed} alert(s) pending again; the running daemon (or `run --once`) sends them")


@alerts.command("test")
@click.argument("notifier")
@click.pass_obj
@handle_errors
def alerts_test(obj: Context, notifier: str) -> None:
    """Send a test message through NOTIFIER (a [notifiers.NAME] of the config)."""
    settings = obj.settings
    if notifier not in settings.notifiers:
        known = ", ".join(sorted(settings.notifiers)) or "none is configured"
        fail(f"no notifier named {notifier!r} (known: {known})", 2)
    sender = build_notifier(notifier, settings)

    async def send() -> None:
        try:
            await sender.send(sample_alert(utc_now()))
        finally:
            await sender.aclose()

    try:
        run_async(send())
    except AlertError as exc:
        kind = "permanent" if exc.permanent else "temporary"
        err.print(f"[bold red]error:[/] test alert not delivered ({kind}): {escape(str(exc))}")
        sys.exit(EXIT_FAILURE)
    out.print(f"[green]✓[/] test alert delivered through {escape(notifier)}")
