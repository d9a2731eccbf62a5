"""The ``ingester`` command: a thin layer over config, store and daemon.

This is the only module that maps errors to exit codes and messages for people. Output is a
table for people and, with ``--json``, JSON for scripts.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from .. import __version__, config
from ..config import FetchSettings, Settings, WebhookSettings
from ..daemon import Daemon, check_notifiers, run_async
from ..errors import ConfigError, FetchError, IngesterError, QueryError, StorageError
from ..fetch import Fetcher
from ..models import FetchResult
from ..pipeline import FeedOutcome, analyse, utc_now
from ..store import SearchFilter, SQLiteStore, iso

SEARCH_HINT = 'Search syntax: words, "a phrase", AND, OR, NOT, prefix*.'
MARK = ("\x02", "\x03")  # snippet match markers, turned into colour after escaping
EXIT_FAILURE = 1
EXIT_CONFIG = 78  # EX_CONFIG (sysexits.h); the unit's RestartPreventExitStatus= names it

# Piped output keeps long URLs and errors on one line instead of wrapping at 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 200)
F = TypeVar("F", bound=Callable[..., Any])

STATUS_STYLE = {
    "ok": "green",
    "new": "cyan",
    "error": "red",
    "gone": "red",
    "disabled": "dim",
    "removed": "dim",
}


def fail(message: str, code: int = EXIT_FAILURE, hint: str | None = None) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}")
    if hint:
        err.print(f"[dim]{escape(hint)}[/]")
    sys.exit(code)


def setup_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )
    for noisy in ("apscheduler", "httpx", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)


class Context:
    def __init__(self, config_arg: str | None, verbose: int) -> None:
        self.path = config.locate(config_arg)
        self.verbose = verbose
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = config.load(self.path)
        return self._settings

    def store(self) -> SQLiteStore:
        path = self.settings.storage_path
        return SQLiteStore(path)


def handle_errors(fn: F) -> F:
    """Turn our errors into one readable line and an exit code; never a bare traceback."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            fail(f"bad config: {exc}", EXIT_CONFIG, "Nothing was started. Fix the file and retry.")
        except QueryError as exc:
            fail(str(exc), 2, getattr(exc, "hint", None) or SEARCH_HINT)
        except StorageError as exc:
            fail(str(exc), EXIT_FAILURE, "Check [storage] path and its directory's permissions.")
        except IngesterError as exc:
            fail(str(exc))

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help=f"Config file (default: ${config.ENV_VAR}, else ./config/ingester.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(__version__, prog_name="ingester")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """feed-ingester: watch news feeds, keep every new story once, in SQLite."""
    ctx.obj = Context(config_path, verbose)


# -- run ---------------------------------------------------------------------------------------


@cli.command()
@click.option("--once", is_flag=True, help="Poll every due feed once, then exit.")
@click.option("--all", "every_feed", is_flag=True, help="With --once: poll every enabled feed now.")
@click.option(
    "--json", "as_json", is_flag=True, help="With --once: print the cycle report as JSON."
)
@click.pass_obj
@handle_errors
def run(obj: Context, once: bool, every_feed: bool, as_json: bool) -> None:
    """Run the service in the foreground (or one cycle with --once)."""
    setup_logging(obj.verbose if not once else max(obj.verbose, 0))
    settings = obj.settings
    log = logging.getLogger("ingester")
    for warning in settings.warnings:
        log.warning("config: %s", warning)
    daemon = Daemon(obj.path, settings)
    if not once:
        log.info("config %s, database %s", settings.source, settings.storage_path)
        run_async(daemon.serve())
        return
    if obj.verbose == 0:  # the summary and `feeds list` tell the rest
        logging.getLogger("ingester").setLevel(logging.ERROR)
    done = _run_once(daemon, every_feed)
    report, pages, delivery = done.cycle, done.pages, done.delivery
    if as_json:
        click.echo(
            json.dumps(
                {
                    **asdict(report),
                    "pages": asdict(pages),
                    "matches": asdict(done.matches),
                    "digested": done.digested,
                    "alerts": asdict(delivery),
                }
            )
        )
    summary = (
        f"{report.feeds} feeds in {report.elapsed:.1f}s: {report.new} new articles, "
        f"{report.updated} updated, {report.new_sources} seen through another feed; "
        f"{report.not_modified} not modified, {report.unchanged} unchanged, {report.errors} failed"
    )
    err.print(summary)
    if pages.pages:
        err.print(
            f"{pages.pages} article pages in {pages.elapsed:.1f}s: {pages.from_page} extracted, "
            f"{pages.from_feed} kept the feed's text ({pages.retrying} to retry later)"
        )
    placed = done.matches
    if placed.stories or placed.copies or placed.merged:
        err.print(
            f"stories: {placed.stories} new, {placed.copies} copies joined an earlier story, "
            f"{len(placed.merged)} re-issues merged into the article they repeat"
        )
    if done.matches.matches:
        err.print(
            f"{done.matches.matches} watch matches: {done.matches.alerts} alerts to send, "
            f"{done.matches.queued} held for digests"
        )
    if delivery.sent or delivery.retrying or delivery.failed or delivery.held:
        colour = (
            "red" if delivery.failed or delivery.held else "yellow" if delivery.retrying else ""
        )
        line = (
            f"alerts: {delivery.sent} sent, {delivery.retrying} to retry, "
            f"{delivery.failed + delivery.held} failed"
        )
        err.print(f"[{colour}]{line}[/]" if colour else line)
    if report.errors:
        err.print("[dim]See `ingester feeds list` for the errors.[/]")
    if delivery.retrying or delivery.failed or delivery.held:
        err.print("[dim]See `ingester alerts list` for the alerts that were not sent.[/]")


def _run_once(daemon: Daemon, every_feed: bool) -> Any:
    if not err.is_terminal:
        return run_async(daemon.run_once(every_feed=every_feed))
    progress = Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = progress.add_task("polling feeds", total=None, detail="")
    totals = {"new": 0, "failed": 0}
    # After the poll: article pages, then stories and watches. Their totals are not known
    # ahead (pages that fail may come back), so those bars count up.
    stages: dict[str, TaskID] = {}
    names = {"pages": "article pages", "articles": "stories, watches"}

    def started(count: int) -> None:
        progress.update(task, total=count)

    def done(outcome: FeedOutcome) -> None:
        totals["new"] += outcome.report.new
        totals["failed"] += outcome.result in ("error", "gone")
        detail = f"{totals['new']} new, {totals['failed']} failed"
        progress.update(task, advance=1, detail=detail)

    def stage(name: str, count: int) -> None:
        if name not in stages:
            stages[name] = progress.add_task(names.get(name, name), total=None, detail="")
        progress.update(stages[name], advance=count)

    with progress:
        return run_async(
            daemon.run_once(on_start=started, on_done=done, on_stage=stage, every_feed=every_feed)
        )


# -- check-config ------------------------------------------------------------------------------


@cli.command("check-config")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_obj
@handle_errors
def check_config(obj: Context, as_json: bool) -> None:
    """Validate the config file (secrets included) and summarise it."""
    s = obj.settings
    run_async(check_notifiers(s))
    enabled = [f for f in s.feeds if f.enabled]
    summary = {
        "config": str(s.source),
        "database": str(s.storage_path),
        "feeds": len(s.feeds),
        "enabled": len(enabled),
        "interval_seconds": s.schedule.interval,
        "jitter_seconds": s.schedule.jitter,
        "allow_private_networks": s.fetch.allow_private_networks,
        "notifiers": {
            name: {
                "type": n.type,
                "host": _host(n.url) if isinstance(n, WebhookSettings) else n.host,
            }
            for name, n in s.notifiers.items()
        },
        "watches": [{"name": w.name, "mode": w.mode, "notify": list(w.notify)} for w in s.watches],
        "warnings": list(s.warnings),
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    out.print(f"[green]✓[/] {escape(str(s.source))} is valid")
    out.print(f"  database  {escape(str(s.storage_path))}")
    out.print(f"  feeds     {len(s.feeds)} ({len(enabled)} enabled)")
    out.print(
        f"  schedule  every {_duration(s.schedule.interval)}, jitter {_duration(s.schedule.jitter)}"
    )
    out.print(f"  fetch     timeout {_duration(s.fetch.timeout)}, max {s.fetch.max_bytes:,} bytes, "
              f"{s.fetch.per_host_connections} connections per host")  # fmt: skip
    if s.fetch.allow_private_networks:
        out.print("  [yellow]private network addresses are allowed[/]")
    for name, notifier in s.notifiers.items():
        where = (
            f"webhook ({notifier.format}) {_host(notifier.url)}"
            if isinstance(notifier, WebhookSettings)
            else f"email via {notifier.host}:{notifier.smtp_port} ({notifier.tls}) to "
            f"{len(notifier.to)} recipient(s)"
        )
        out.print(f"  notifier  {escape(name)}: {escape(where)}")
    for watch in s.watches:
        send = ", ".join(watch.notify) or "nobody (recorded only)"
        out.print(f"  watch     {escape(watch.name)} ({watch.mode}) -> {escape(send)}")
    for warning in s.warnings:
        out.print(f"  [yellow]warning:[/] {escape(warning)}")


def _host(url: str) -> str:
    """Scheme and host of a webhook URL: chat webhook URLs carry their token in the path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


# -- feeds -------------------------------------------------------------------------------------


@cli.group()
def feeds() -> None:
    """Inspect and manage feeds."""


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of feeds.")
@click.pass_obj
@handle_errors
def feeds_list(obj: Context, as_json: bool) -> None:
    """Each feed with its status, last and next fetch, item count and last error."""
    store = obj.store()
    store.sync_feeds(obj.settings.feeds, obj.settings.schedule.interval, utc_now())
    rows = store.feeds()
    store.close()
    if as_json:
        keys = ("url", "name", "status", "error_count", "last_error", "next_fetch_at", "items")
        extra = ("config_url", "tags", "last_fetch_at", "last_success_at")
        data = [{k: getattr(r, k) for k in (*keys, *extra)} for r in rows]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("status", "feed", "items", "last fetch", "next fetch", "last error"):
        table.add_column(
            column, no_wrap=column != "last error", justify="right" if column == "items" else "left"
        )
    now = utc_now()
    for r in rows:
        style = STATUS_STYLE.get(r.status, "")
        status = r.status + (f" ×{r.error_count}" if r.error_count else "")
        table.add_row(
            f"[{style}]{status}[/]" if style else status,
            escape(r.name or r.url) + ("" if not r.name else f"\n[dim]{escape(r.url)}[/]"),
            str(r.items),
            _ago(r.last_fetch_at, now),
            _ago(r.next_fetch_at, now) if r.status not in ("gone", "disabled", "removed") else "-",
            f"[red]{escape(r.last_error)}[/]" if r.last_error else "",
        )
    out.print(table)
    healthy = sum(r.status in ("ok", "new") for r in rows)
    failing = sum(r.status in ("error", "gone") for r in rows)
    colour = "green" if failing == 0 else "yellow"
    out.print(f"[{colour}]{healthy} of {len(rows)} feeds healthy, {failing} failing[/]")


def _ago(stamp: str | None, now: Any) -> str:
    if not stamp:
        return "never"
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    seconds = (moment - now).total_seconds()
    if abs(seconds) < 1:
        return "now"
    text = _approx(abs(seconds))
    return f"in {text}" if seconds > 0 else f"{text} ago"


def _approx(seconds: float) -> str:
    """A short human duration: 45s, 12m, 3h 5m, 2d 4h."""
    whole = int(seconds)
    for unit, size, sub_unit, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60)):
        if whole >= size:
            rest = (whole % size) // sub_size
            return f"{whole // size}{unit}" + (f" {rest}{sub_unit}" if rest else "")
    return f"{whole // 60}m" if whole >= 60 else f"{whole}s"


@feeds.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.pass_obj
@handle_errors
def feeds_export(obj: Context, output: Path | None) -> None:
    """Write the configured feeds as OPML 2.0."""
    store = obj.store()
    store.sync_feeds(obj.settings.feeds, obj.settings.schedule.interval, utc_now())
    rows = [r for r in store.feeds() if r.status != "removed"]
    store.close()
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head><title>feed-ingester subscriptions</title></head>",
        "  <body>",
    ]
    # Tags become nested category outlines, the form config.read_opml (and feed readers) turn
    # back into tags; a flat `category` attribute would be dropped on re-import.
    opened: tuple[str, ...] = ()
    for r in sorted(rows, key=lambda r: r.tags):
        shared = 0
        while shared < min(len(opened), len(r.tags)) and opened[shared] == r.tags[shared]:
            shared += 1
        lines += [
            "  " * (depth + 2) + "</outline>" for depth in reversed(range(shared, len(opened)))
        ]
        lines += [
            "  " * (depth + 2) + f"<outline text={quoteattr(r.tags[depth])}>"
            for depth in range(shared, len(r.tags))
        ]
        opened = r.tags
        title = r.name or r.url
        lines.append(
            "  " * (len(r.tags) + 2) + f'<outline type="rss" text={quoteattr(title)}'
            f" title={quoteattr(title)} xmlUrl={quoteattr(r.url)}/>"
        )
    lines += ["  " * (depth + 2) + "</outline>" for depth in reversed(range(len(opened)))]
    lines += ["  </body>", "</opml>", ""]
    text = "\n".join(lines)
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {len(rows)} feeds to {escape(str(output))}")
    else:
        click.echo(text, nl=False)


@feeds.command("reset")
@click.argument("feed")
@click.pass_obj
@handle_errors
def feeds_reset(obj: Context, feed: str) -> None:
    """Clear a feed's errors and poll it at the next tick (also revives a 410 Gone feed).

    FEED is its URL, name or id.
    """
    store = obj.store()
    store.sync_feeds(obj.settings.feeds, obj.settings.schedule.interval, utc_now())
    changed = store.reset_feed(feed, utc_now())
    store.close()
    if not changed:
        fail(f"no feed matches {feed!r}", hint="See `ingester feeds list` for URLs and names.")
    out.print(f"reset {changed} feed(s); due now")


# -- search ------------------------------------------------------------------------------------


@cli.command()
@click.argument("query", nargs=-1, required=True)
@click.option("-n", "--limit", default=20, show_default=True, help="At most this many results.")
@click.option("--feed", help="Only articles from this feed (its name or URL).")
@click.option("--tag", help="Only articles from feeds with this tag.")
@click.option("--lang", help="Only articles in this language (ISO 639-1 code, e.g. ru).")
@click.option("--since", help="Published on or after: a date (2026-01-13) or an age (7d, 12h).")
@click.option("--until", help="Published on or before: a date or an age.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
@handle_errors
def search(
    obj: Context,
    query: tuple[str, ...],
    limit: int,
    feed: str | None,
    tag: str | None,
    lang: str | None,
    since: str | None,
    until: str | None,
    as_json: bool,
) -> None:
    """Full-text search over titles, summaries, article bodies and keywords.

    QUERY is SQLite FTS5 syntax: words, "a phrase", AND, OR, NOT, parentheses, prefix*,
    and column filters such as title:csto or body:kazakhstan.
    """
    where = SearchFilter(
        feed=feed, tag=tag, lang=lang, since=_moment(since, "--since"),
        until=_moment(until, "--until", end_of_day=True),
    )  # fmt: skip
    store = obj.store()
    hits = store.search(
        " ".join(query), limit, mark=MARK if not as_json else ("[", "]"), where=where
    )
    store.close()
    if as_json:
        for hit in hits:
            click.echo(json.dumps(asdict(hit), ensure_ascii=False))
        return
    if not hits:
        err.print("no matches")
        return
    for hit in hits:
        # The markers are control characters that escape() leaves alone, so brackets in the
        # article's own text stay literal.
        snippet = escape(hit.snippet).replace(MARK[0], "[bold yellow]").replace(MARK[1], "[/]")
        out.print(f"[bold]{escape(hit.title or '(no title)')}[/]")
        when = hit.published or hit.first_seen
        feeds_text = escape(", ".join(hit.feeds))
        out.print(f"  [blue]{escape(hit.url or '')}[/]  [dim]{when} · {feeds_text}[/]")
        out.print(f"  {snippet}")


# -- extract -----------------------------------------------------------------------------------


@cli.command("extract")
@click.argument("sources", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--feed-text", "feed_text_file", type=click.Path(exists=True, dir_okay=False),
              help="A file with the feed item's text, used as evidence and fallback.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
@handle_errors
def extract_pages(
    obj: Context, sources: tuple[str, ...], feed_text_file: str | None, as_json: bool
) -> None:
    """Show what the pipeline would store for each page: body, metadata, keywords."""
    feed_text = Path(feed_text_file).read_text(encoding="utf-8") if feed_text_file else None
    fetch_settings = obj.settings.fetch if obj.path.exists() else FetchSettings()
    failed = 0
    for source in sources:
        page, content_type, problem = _read_page(source, fetch_settings)
        if page is None and feed_text is None:
            failed += 1
            err.print(f"[red]{escape(source)}: {escape(problem or 'nothing to read')}[/]")
            continue
        found = analyse(page, source, feed_text, content_type, problem)
        record = {
            "source": source,
            "title": found.extraction.title,
            "author": found.extraction.author,
            "published": iso(found.extraction.published),
            "lang": found.lang,
            "method": found.extraction.method,
            "problem": found.extraction.problem,
            "body": found.extraction.body,
            "keywords": [
                {"text": k.text, "type": k.kind, "score": round(k.score, 4), "aliases": k.aliases}
                for k in found.keywords
            ],
        }
        if as_json:
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            _show_extraction(record)
    if failed:
        sys.exit(EXIT_FAILURE)


def _read_page(source: str, settings: FetchSettings) -> tuple[bytes | None, str | None, str | None]:
    if not source.startswith(("http://", "https://")):
        try:
            return Path(source).read_bytes(), None, None
        except OSError as exc:
            return None, None, f"cannot read {source}: {exc.strerror}"

    async def get() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(source)

    try:
        result = run_async(get())
    except FetchError as exc:
        return None, None, exc.problem
    return result.body, result.content_type, None


def _show_extraction(record: dict[str, Any]) -> None:
    out.rule(escape(str(record["source"])))
    out.print(f"[bold]{escape(record['title'] or '(no title)')}[/]")
    meta = [f"{k}: {record[k]}" for k in ("author", "published", "lang", "method") if record[k]]
    out.print(f"[dim]{escape(' · '.join(meta))}[/]")
    if record["problem"]:
        out.print(f"[yellow]{escape(record['problem'])}[/]")
    if record["keywords"]:
        table = Table(box=None, header_style="bold", pad_edge=False)
        for column in ("keyword", "type", "score", "also"):
            table.add_column(column)
        for k in record["keywords"]:
            also = ", ".join(k["aliases"])
            table.add_row(escape(k["text"]), k["type"], f"{k['score']:.2f}", escape(also))
        out.print(table)
    out.print(escape(record["body"] or ""))


def _moment(text: str | None, option: str, *, end_of_day: bool = False) -> datetime | None:
    """A date (2026-01-13, or a full ISO 8601 time) or an age before now (7d, 12h, 90m)."""
    if text is None:
        return None
    try:
        return utc_now() - timedelta(seconds=config.parse_duration(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"{option} {text!r} is neither a date (2026-01-13) nor an age (7d, 12h)", 2)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
        if end_of_day and len(text.strip()) == 10:
            moment += timedelta(days=1, seconds=-1)
    return moment


def main() -> None:
    cli(prog_name="ingester")


from . import alerts as alerts  # noqa: E402  (registers `watches` and `alerts`)
from . import stories as stories  # noqa: E402  (registers `stories`)
