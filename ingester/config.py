"""Turns the TOML config file into a validated, frozen ``Settings`` object.

The config is the source of truth for feeds, watches and notifiers; the database holds state
only. This module reads files (the TOML, the OPML files it names and secret files) and the
environment (secrets), and nothing else: it does not touch the network or the database.
Watch queries are parsed and compiled here, so a bad query stops the daemon before it starts.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from lxml import etree
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from .errors import ConfigError, QueryError
from .match import AliasSet, compile_query
from .models import FeedSpec, WatchPolicy

log = logging.getLogger(__name__)

DEFAULT_PATH = Path("config/ingester.toml")
ENV_VAR = "INGESTER_CONFIG"
PROJECT_URL = "https://github.com/feed-ingester/feed-ingester"
DEFAULT_USER_AGENT = f"feed-ingester/0.1 (+{PROJECT_URL})"
SHORT_INTERVAL = 300.0

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(value: object) -> float:
    """``"90s"``, ``"15m"``, ``"2h"``, ``"1d"`` or a number of seconds, as seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90s, 15m, 2h or 1d")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError(f"{value!r} is not a duration; write it like 90s, 15m, 2h or 1d")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]


def check_feed_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError(f"{url!r} has no host")
    return url.strip()


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageSettings(_Section):
    path: Path = Path("../data/ingester.db")


class FetchSettings(_Section):
    user_agent: StrictStr = DEFAULT_USER_AGENT
    timeout: Duration = Field(default=30.0, gt=0)
    max_bytes: StrictInt = Field(default=10_000_000, gt=0)
    per_host_connections: StrictInt = Field(default=4, ge=1, le=100)
    concurrency: StrictInt = Field(default=64, ge=1, le=1000)
    max_redirects: StrictInt = Field(default=5, ge=0, le=20)
    allow_private_networks: StrictBool = False


class ScheduleSettings(_Section):
    interval: Duration = Field(default=900.0, ge=1, le=365 * 86400.0)
    jitter: Duration = 60.0
    max_backoff: Duration = Field(default=6 * 3600.0, ge=1, le=365 * 86400.0)
    max_interval: Duration = Field(default=86400.0, ge=1, le=365 * 86400.0)
    tick: Duration = Field(default=1.0, gt=0, le=60)
    workers: StrictInt = Field(default=0, ge=0, le=64)  # worker processes; 0 = one per core


class ExtractSettings(_Section):
    enabled: StrictBool = True
    max_attempts: StrictInt = Field(default=3, ge=1, le=20)
    retry: Duration = Field(default=900.0, ge=1, le=7 * 86400.0)  # doubles per failed attempt
    batch: StrictInt = Field(default=500, ge=1, le=100_000)


class AlertSettings(_Section):
    """How the outbox retries: waits double from ``retry`` up to ``max_retry``, with jitter."""

    max_attempts: StrictInt = Field(default=10, ge=1, le=1000)
    retry: Duration = Field(default=30.0, gt=0, le=86400.0)
    max_retry: Duration = Field(default=3600.0, gt=0, le=7 * 86400.0)
    concurrency: StrictInt = Field(default=4, ge=1, le=100)  # sends in flight per notifier


def check_http_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an absolute http:// or https:// URL")
    return url.strip()


class WebhookSettings(_Section):
    type: Literal["webhook"]
    url: StrictStr
    format: Literal["json", "slack", "discord"] = "json"
    secret_env: StrictStr | None = None  # the variable that holds the whsec_... secret
    secret_file: StrictStr | None = None  # or a file (e.g. a systemd credential) that does
    timeout: Duration = Field(default=10.0, gt=0, le=300)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_http_url(value)


class EmailSettings(_Section):
    type: Literal["email"]
    host: StrictStr
    port: StrictInt | None = Field(default=None, ge=1, le=65535)  # default by tls: 465/587/25
    tls: Literal["implicit", "starttls", "none"] = "starttls"
    username_env: StrictStr | None = None
    username_file: StrictStr | None = None
    password_env: StrictStr | None = None
    password_file: StrictStr | None = None
    sender: StrictStr = Field(alias="from")
    to: tuple[StrictStr, ...] = Field(min_length=1)
    timeout: Duration = Field(default=30.0, gt=0, le=300)

    @property
    def smtp_port(self) -> int:
        return self.port or {"implicit": 465, "starttls": 587, "none": 25}[self.tls]


NotifierSettings = Annotated[WebhookSettings | EmailSettings, Field(discriminator="type")]
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(.+)$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_rate(value: object) -> tuple[int, float]:
    """``"10/1h"`` (or ``"10/h"``): at most 10 alerts in any hour, as (10, 3600.0)."""
    if not isinstance(value, str) or not (m := _RATE.match(value)):
        raise ValueError(f"{value!r} is not a rate; write it like 10/1h or 50/1d")
    window = m.group(2).strip()
    seconds = parse_duration(window if window[:1].isdigit() else f"1{window}")
    if int(m.group(1)) < 1 or seconds <= 0:
        raise ValueError("a rate needs at least 1 alert in a window longer than 0s")
    return int(m.group(1)), seconds


def parse_clock(value: object) -> str:
    if not isinstance(value, str) or not _CLOCK.match(value):
        raise ValueError(f"{value!r} is not a time of day; write it like 08:00 (UTC)")
    return value


class WatchSettings(_Section):
    name: StrictStr = Field(min_length=1)
    query: StrictStr
    notify: tuple[StrictStr, ...] = ()
    feeds: tuple[StrictStr, ...] = ()  # scope: feed names or URLs
    tags: tuple[StrictStr, ...] = ()  # scope: feed or entry tags
    mode: Literal["instant", "digest"] = "instant"
    digest_every: Duration = Field(default=3600.0, ge=60, le=7 * 86400.0)
    digest_at: tuple[Annotated[StrictStr, BeforeValidator(parse_clock)], ...] = ()
    rate_limit: Annotated[tuple[int, float], BeforeValidator(parse_rate)] | None = None
    story_updates: Literal["silent", "notify"] = "silent"

    @property
    def policy(self) -> WatchPolicy:
        return WatchPolicy(self.name, self.notify, self.mode, self.rate_limit, self.story_updates)


class StorySettings(_Section):
    enabled: StrictBool = True
    window: Duration = Field(default=7 * 86400.0, ge=3600, le=90 * 86400.0)


class FeedSettings(_Section):
    url: StrictStr
    name: StrictStr | None = None
    interval: Duration | None = Field(default=None, ge=1)
    tags: tuple[StrictStr, ...] = ()
    enabled: StrictBool = True
    extract: StrictBool = True

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_feed_url(value)


class _File(_Section):
    opml: tuple[StrictStr, ...] = ()
    storage: StorageSettings = StorageSettings()
    fetch: FetchSettings = FetchSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    feeds: tuple[FeedSettings, ...] = ()
    alerts: AlertSettings = AlertSettings()
    stories: StorySettings = StorySettings()
    notifiers: dict[StrictStr, NotifierSettings] = {}
    watches: tuple[WatchSettings, ...] = ()
    aliases: dict[StrictStr, tuple[StrictStr, ...]] = {}


@dataclass(frozen=True, slots=True)
class Settings:
    """The whole validated configuration. Paths are absolute."""

    source: Path
    storage_path: Path
    fetch: FetchSettings
    schedule: ScheduleSettings
    feeds: tuple[FeedSpec, ...]
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    warnings: tuple[str, ...] = ()
    alerts: AlertSettings = field(default_factory=AlertSettings)
    notifiers: dict[str, WebhookSettings | EmailSettings] = field(default_factory=dict)
    watches: tuple[WatchSettings, ...] = ()
    aliases: AliasSet = field(default_factory=AliasSet.starter)
    stories: StorySettings = field(default_factory=StorySettings)

    def watch(self, name: str) -> WatchSettings | None:
        return next((w for w in self.watches if w.name == name), None)

    def interval_of(self, feed: FeedSpec) -> float:
        return feed.interval if feed.interval is not None else self.schedule.interval


def locate(explicit: str | os.PathLike[str] | None) -> Path:
    """``--config``, else ``$INGESTER_CONFIG``, else ``./config/ingester.toml``."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get(ENV_VAR):
        return Path(env)
    return DEFAULT_PATH


def load(path: Path) -> Settings:
    """Read and validate ``path``; raise ``ConfigError`` naming the file, key and problem."""
    shown = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(shown, "file not found (use --config PATH or $INGESTER_CONFIG)") from None
    except OSError as exc:
        raise ConfigError(shown, f"cannot read: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(shown, f"not valid TOML: {exc}") from exc
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(shown, _describe(first), key=_key_path(first["loc"])) from None

    base = path.resolve().parent
    feeds: dict[str, FeedSpec] = {}
    pages = parsed.extract.enabled
    for index, name in enumerate(parsed.opml):
        for spec in read_opml(base / name, key=f"opml[{index}]", shown=shown):
            feeds.setdefault(spec.url, replace(spec, extract=pages))
    for item in parsed.feeds:  # [[feeds]] entries override OPML entries with the same URL
        feeds[item.url] = FeedSpec(
            item.url, item.name, item.interval, item.tags, item.enabled, item.extract and pages
        )

    warnings = []
    schedule = parsed.schedule
    if schedule.interval < SHORT_INTERVAL:
        warnings.append(f"[schedule] interval is {schedule.interval:g}s; below 5 minutes is rude")
    for spec in feeds.values():
        if spec.interval is not None and spec.interval < SHORT_INTERVAL:
            warnings.append(f"feed {spec.url}: interval {spec.interval:g}s is below 5 minutes")

    aliases = _aliases(parsed, shown)
    _check_watches(parsed, aliases, shown)
    warnings.extend(
        f"watch {w.name!r} has no notify list: its matches are recorded, not sent"
        for w in parsed.watches
        if not w.notify
    )
    known = {spec.url for spec in feeds.values()} | {s.name for s in feeds.values() if s.name}
    warnings.extend(
        f"watch {w.name!r}: no configured feed is named {name!r} (feeds = [...] takes a feed's"
        " name or URL)"
        for w in parsed.watches
        for name in w.feeds
        if name not in known
    )
    return Settings(
        source=path.resolve(),
        storage_path=(base / parsed.storage.path).resolve(),
        fetch=parsed.fetch,
        schedule=schedule,
        feeds=tuple(feeds.values()),
        extract=parsed.extract,
        warnings=tuple(warnings),
        alerts=parsed.alerts,
        notifiers=dict(parsed.notifiers),
        watches=parsed.watches,
        aliases=aliases,
        stories=parsed.stories,
    )


def _aliases(parsed: _File, shown: str) -> AliasSet:
    try:
        return AliasSet.starter().extend(parsed.aliases) if parsed.aliases else AliasSet.starter()
    except ValueError as exc:
        raise ConfigError(shown, str(exc), key="aliases") from None


def _check_watches(parsed: _File, aliases: AliasSet, shown: str) -> None:
    """Every watch has its own name, a query that compiles and notifiers that exist."""
    seen: set[str] = set()
    for index, watch in enumerate(parsed.watches):
        key = f"watches[{index}]"
        if watch.name in seen:
            raise ConfigError(shown, f"a second watch named {watch.name!r}", key=f"{key}.name")
        seen.add(watch.name)
        try:
            compile_query(watch.query, aliases)
        except QueryError as exc:
            raise ConfigError(shown, f"bad query: {exc.problem}", key=f"{key}.query") from None
        for name in watch.notify:
            if name not in parsed.notifiers:
                known = ", ".join(sorted(parsed.notifiers)) or "none is configured"
                problem = f"no notifier named {name!r} (known: {known})"
                raise ConfigError(shown, problem, key=f"{key}.notify")


def secret(env: str | None, file: str | None, settings: Settings, key: str) -> str | None:
    """A secret from the variable named ``env`` or the file ``file`` (relative to the config).

    Raises ``ConfigError`` when one is named but missing or empty; never shows the value.
    """
    shown = str(settings.source)
    if env is not None and file is not None:
        problem = "give the secret's variable or its file, not both"
        raise ConfigError(shown, problem, key=f"{key}_file")
    if env is not None:
        value = os.environ.get(env, "").strip()
        if not value:
            problem = f"environment variable {env} is not set (or empty)"
            raise ConfigError(shown, problem, key=f"{key}_env")
        return value
    if file is not None:
        path = settings.source.parent / os.path.expandvars(file)
        try:
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(shown, f"cannot read {path}: {exc}", key=f"{key}_file") from None
        if not value:
            raise ConfigError(shown, f"{path} is empty", key=f"{key}_file")
        return value
    return None


def check_secrets(settings: Settings) -> None:
    """Raise ``ConfigError`` if a secret a notifier names cannot be read."""
    for name, notifier in settings.notifiers.items():
        key = f"notifiers.{name}"
        if isinstance(notifier, WebhookSettings):
            secret(notifier.secret_env, notifier.secret_file, settings, f"{key}.secret")
        else:
            secret(notifier.username_env, notifier.username_file, settings, f"{key}.username")
            secret(notifier.password_env, notifier.password_file, settings, f"{key}.password")


def read_opml(path: Path, *, key: str, shown: str) -> list[FeedSpec]:
    """Feeds of an OPML file; category outlines become tags."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(shown, f"cannot read OPML file {path}: {exc.strerror}", key) from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(shown, f"OPML file {path} is not valid XML: {exc}", key) from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ConfigError(shown, f"{path} is not an OPML file (no <opml><body>)", key)
    specs: list[FeedSpec] = []
    _walk_outlines(body, (), specs, path, key, shown)
    return specs


def _walk_outlines(
    node: Any, tags: tuple[str, ...], out: list[FeedSpec], path: Path, key: str, shown: str
) -> None:
    for outline in node.iterfind("outline"):
        url = outline.get("xmlUrl")
        label = outline.get("title") or outline.get("text")
        if url:
            try:
                url = check_feed_url(url)
            except ValueError as exc:
                raise ConfigError(shown, f"in OPML file {path}: {exc}", key) from None
            out.append(FeedSpec(url=url, name=label, tags=tags))
        else:
            _walk_outlines(outline, (*tags, label) if label else tags, out, path, key, shown)


def _key_path(loc: Sequence[int | str]) -> str:
    out = ""
    for index, part in enumerate(loc):
        if index == 2 and loc[0] == "notifiers" and part in ("webhook", "email"):
            continue  # the union's tag (the notifier's type), not a key of the file
        if isinstance(part, int):
            out += f"[{part}]"
        elif not out:
            out = str(part)
        elif part in ("function-after[_url()]",) or part.startswith(("function-", "union")):
            continue
        else:
            out += f".{part}"
    return out or "(top level)"


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see the README for the keys)"
    if kind == "missing":
        return "required key is missing"
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        return 'type must be "webhook" or "email"'
    if kind == "literal_error":
        return f"must be {error['ctx']['expected']}, not {error['input']!r}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
