"""When to poll a feed next: interval plus jitter, the feed's and server's hints, and backoff.

Pure functions of their arguments (the random source is passed in); no I/O.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import ScheduleSettings


def after_success(
    now: datetime,
    interval: float,
    settings: ScheduleSettings,
    rng: random.Random,
    *,
    ttl: float | None = None,
    max_age: float | None = None,
) -> datetime:
    """Next poll after a good fetch.

    A feed's ``<ttl>`` and the server's ``Cache-Control: max-age`` can only lengthen the
    interval (RSS 2.0 spec, "ttl"; RFC 9111), and never beyond ``max_interval``.
    """
    hint = max(ttl or 0.0, max_age or 0.0)
    wait = max(interval, min(hint, settings.max_interval))
    return now + timedelta(seconds=wait + _jitter(settings.jitter, rng))


def after_error(
    now: datetime,
    interval: float,
    error_count: int,
    settings: ScheduleSettings,
    rng: random.Random,
    *,
    retry_after: float | None = None,
) -> datetime:
    """Next poll after the ``error_count``-th failure in a row: exponential, capped, endless.

    A server's Retry-After (429/503) is honoured when it asks for longer than the backoff,
    up to ``max_interval``.
    """
    exponent = min(max(error_count - 1, 0), 30)
    backoff = min(interval * (2**exponent), max(settings.max_backoff, interval))
    if retry_after is not None:
        backoff = max(backoff, min(retry_after, settings.max_interval))
    return now + timedelta(seconds=backoff + _jitter(settings.jitter, rng))


def _jitter(jitter: float, rng: random.Random) -> float:
    return rng.uniform(0.0, jitter) if jitter > 0 else 0.0


def next_digest(after: datetime, every: float, at: tuple[str, ...] = ()) -> datetime:
    """The first digest time strictly after ``after``: the next of the times of day ``at``
    ("08:00", UTC) if any are given, else the next multiple of ``every`` seconds counted from
    midnight UTC (6h: 00:00, 06:00, 12:00, 18:00), so digests fall at predictable times."""
    day = after.replace(hour=0, minute=0, second=0, microsecond=0)
    if at:
        times = sorted(timedelta(hours=int(text[:2]), minutes=int(text[3:5])) for text in at)
        for offset in range(2):
            for moment in (day + timedelta(days=offset) + t for t in times):
                if moment > after:
                    return moment
    elapsed = (after - day).total_seconds()
    slots = int(elapsed // every) + 1
    return day + timedelta(seconds=slots * every)


def retry_wait(attempts: int, first: float, cap: float, rng: random.Random) -> float:
    """Seconds before retry number ``attempts`` (1 after the first failure): doubling from
    ``first`` up to ``cap``, each drawn from its upper half so that many alerts failing
    together do not all come back at once."""
    wait = min(cap, first * 2 ** min(attempts - 1, 40))
    return float(wait / 2 + rng.uniform(0, wait / 2))
