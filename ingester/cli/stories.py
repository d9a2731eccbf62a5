"""``ingester stories ...``: copies of the same story across feeds, grouped."""

from __future__ import annotations

import json
from dataclasses import asdict

import click
from rich.markup import escape
from rich.table import Table

from ..pipeline import utc_now
from . import Context, _ago, _moment, cli, err, fail, handle_errors, out


@cli.group()
def stories() -> None:
    """Stories: one story carried by several feeds (or re-issued) is grouped as one."""


@stories.command("list")
@click.option("--since", help="Active since: an age (7d, 12h) or a date (2026-01-13).")
@click.option("--copies", is_flag=True, help="Only stories carried more than once.")
@click.option("-n", "--limit", default=50, show_default=True, help="The most recent this many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of stories.")
@click.pass_obj
@handle_errors
def stories_list(obj: Context, since: str | None, copies: bool, limit: int, as_json: bool) -> None:
    """Stories, most recently active first, with their article count and feeds."""
    store = obj.store()
    rows = store.stories(limit, _moment(since, "--since"), several=copies)
    store.close()
    if as_json:
        click.echo(json.dumps([asdict(row) for row in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        err.print("no stories" + (" with copies" if copies else ""))
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("id", "story", "articles", "feeds", "first seen", "last seen"):
        table.add_column(column, justify="right" if column in ("id", "articles") else "left")
    now = utc_now()
    for row in rows:
        count = f"[bold]{row.articles}[/]" if row.articles > 1 else str(row.articles)
        table.add_row(
            str(row.id), escape(row.title or "(no title)"), count, escape(", ".join(row.feeds)),
            _ago(row.first_seen, now), _ago(row.last_seen, now),
        )  # fmt: skip
    out.print(table)


@stories.command("show")
@click.argument("story_id", type=int, metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="The story and its articles as JSON.")
@click.pass_obj
@handle_errors
def stories_show(obj: Context, story_id: int, as_json: bool) -> None:
    """One story: its articles, the feeds that carried each, first seen first."""
    store = obj.store()
    found = store.story(story_id)
    store.close()
    if found is None:
        fail(f"no story with id {story_id}", hint="See `ingester stories list`.")
    row, articles = found
    if as_json:
        data = {**asdict(row), "items": [asdict(article) for article in articles]}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    now = utc_now()
    out.print(f"[bold]{escape(row.title or '(no title)')}[/]")
    out.print(
        f"[dim]story {row.id} · {row.articles} article(s) · first seen "
        f"{_ago(row.first_seen, now)} · last seen {_ago(row.last_seen, now)}[/]"
    )
    for article in articles:
        revised = f" · revised {article.revision - 1}×" if article.revision > 1 else ""
        out.print(f"  [bold]{escape(article.title or '(no title)')}[/]")
        out.print(
            f"    [blue]{escape(article.url or '')}[/]  [dim]{_ago(article.first_seen, now)} · "
            f"{escape(', '.join(article.feeds))}{revised}[/]"
        )
