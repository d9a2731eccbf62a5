"""Turns the TOML config file into a validated, frozen ``Settings`` object.

The config is the source of truth for feeds (and later watches and notifiers); the database holds
state only. This module reads files (the TOML and the OPML files it names) and nothing else: it
does not touch the network or the database.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any
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

from .errors import ConfigError
from .models import FeedSpec

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

    return Settings(
        source=path.resolve(),
        storage_path=(base / parsed.storage.path).resolve(),
        fetch=parsed.fetch,
        schedule=schedule,
        feeds=tuple(feeds.values()),
        extract=parsed.extract,
        warnings=tuple(warnings),
    )


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
    for part in loc:
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
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
