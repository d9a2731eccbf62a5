"""Tests of ``ingester.schedule``: pure functions, so plain values, fixed datetimes and a seeded
``random.Random`` are all they need."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from ingester.config import ScheduleSettings
from ingester.schedule import after_error, after_success

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
HOUR = 3600.0


def schedule(**overrides: Any) -> ScheduleSettings:
    values: dict[str, Any] = {
        "interval": 900.0,
        "jitter": 0.0,
        "max_backoff": 6 * HOUR,
        "max_interval": 24 * HOUR,
    }
    return ScheduleSettings(**(values | overrides))


def wait(moment: datetime) -> float:
    """Seconds from NOW to ``moment``."""
    return (moment - NOW).total_seconds()


# --- after a success -----------------------------------------------------------------------------


def test_success_waits_the_interval_plus_jitter() -> None:
    rng = random.Random(20261101)
    waits = [wait(after_success(NOW, 900.0, schedule(jitter=60.0), rng)) for _ in range(500)]
    assert all(900.0 <= w <= 960.0 for w in waits)
    # The jitter spreads over its whole range, not just a corner of it.
    assert min(waits) < 905.0
    assert max(waits) > 955.0


def test_jitter_comes_from_the_given_random_source() -> None:
    settings = schedule(jitter=60.0)
    expected = 900.0 + random.Random(7).uniform(0.0, 60.0)
    assert wait(after_success(NOW, 900.0, settings, random.Random(7))) == pytest.approx(expected)
    again = [wait(after_success(NOW, 900.0, settings, random.Random(7))) for _ in range(3)]
    assert len(set(again)) == 1


def test_zero_jitter_gives_exact_times() -> None:
    rng = random.Random(1)
    assert after_success(NOW, 900.0, schedule(), rng) == datetime(2026, 11, 1, 12, 15, tzinfo=UTC)
    assert after_error(NOW, 900.0, 3, schedule(), rng) == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_the_feed_interval_is_used_not_the_default() -> None:
    assert wait(after_success(NOW, 2 * HOUR, schedule(interval=900.0), random.Random(1))) == (
        2 * HOUR
    )


@pytest.mark.parametrize(
    ("ttl", "max_age", "expected"),
    [
        (None, None, 900.0),
        (3600.0, None, 3600.0),  # <ttl>60</ttl> lengthens
        (None, 7200.0, 7200.0),  # so does Cache-Control: max-age
        (3600.0, 7200.0, 7200.0),  # the longer of the two
        (7200.0, 3600.0, 7200.0),
        (60.0, None, 900.0),  # hints never shorten the interval
        (None, 10.0, 900.0),
        (0.0, 0.0, 900.0),
        (10 * 24 * HOUR, None, 24 * HOUR),  # never beyond max_interval
        (None, 1e12, 24 * HOUR),
        (1e12, 1e12, 24 * HOUR),
    ],
)
def test_ttl_and_max_age_lengthen_up_to_max_interval(
    ttl: float | None, max_age: float | None, expected: float
) -> None:
    at = after_success(NOW, 900.0, schedule(), random.Random(1), ttl=ttl, max_age=max_age)
    assert wait(at) == expected


def test_hints_with_jitter_stay_within_bounds() -> None:
    rng = random.Random(5)
    settings = schedule(jitter=120.0, max_interval=2 * HOUR)
    for _ in range(200):
        at = after_success(NOW, 900.0, settings, rng, ttl=10 * HOUR, max_age=HOUR)
        assert 2 * HOUR <= wait(at) <= 2 * HOUR + 120.0


def test_an_interval_longer_than_max_interval_is_kept() -> None:
    """max_interval caps the hints; it does not shorten what the feed itself asks for."""
    settings = schedule(max_interval=HOUR)
    at = after_success(NOW, 2 * HOUR, settings, random.Random(1), ttl=3 * HOUR)
    assert wait(at) == 2 * HOUR


def test_times_stay_timezone_aware() -> None:
    assert after_success(NOW, 900.0, schedule(), random.Random(1)).tzinfo is UTC
    assert after_error(NOW, 900.0, 2, schedule(), random.Random(1)).tzinfo is UTC


# --- after an error ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        (1, 900.0),
        (2, 1800.0),
        (3, 3600.0),
        (4, 7200.0),
        (5, 14400.0),
        (6, 21600.0),  # 28800 capped at max_backoff (6 h)
        (7, 21600.0),
        (50, 21600.0),
    ],
)
def test_backoff_doubles_per_error_up_to_max_backoff(errors: int, expected: float) -> None:
    assert wait(after_error(NOW, 900.0, errors, schedule(), random.Random(1))) == expected


def test_backoff_doubles_exactly_until_the_cap() -> None:
    year = 365 * 86400.0  # the largest cap the config accepts
    settings = schedule(max_backoff=year, max_interval=year)
    waits = [wait(after_error(NOW, 60.0, n, settings, random.Random(1))) for n in range(1, 23)]
    assert waits == [min(60.0 * 2**k, year) for k in range(22)]
    assert waits[-1] == year


@pytest.mark.parametrize("errors", [0, -3])
def test_a_non_positive_error_count_waits_the_interval(errors: int) -> None:
    assert wait(after_error(NOW, 900.0, errors, schedule(), random.Random(1))) == 900.0


@pytest.mark.parametrize("errors", [1, 2, 10])
def test_backoff_is_never_below_the_interval(errors: int) -> None:
    settings = schedule(max_backoff=HOUR)
    assert wait(after_error(NOW, 4 * HOUR, errors, settings, random.Random(1))) == 4 * HOUR


@pytest.mark.parametrize("errors", [10**6, 2**64, sys.maxsize])
def test_large_error_counts_do_not_overflow(errors: int) -> None:
    assert wait(after_error(NOW, 900.0, errors, schedule(), random.Random(1))) == 6 * HOUR
    # At the largest caps the config accepts, the wait stays a finite year.
    year = 365 * 86400.0
    settings = schedule(max_backoff=year, max_interval=year)
    assert wait(after_error(NOW, 1.0, errors, settings, random.Random(1))) == year


@pytest.mark.parametrize(
    ("errors", "retry_after", "expected"),
    [
        (1, 3000.0, 3000.0),  # longer than the backoff: honoured
        (1, 100.0, 900.0),  # shorter: the backoff wins
        (1, 0.0, 900.0),
        (4, 3600.0, 7200.0),
        (4, 10 * HOUR, 10 * HOUR),  # beyond max_backoff is fine
        (1, 10 * 24 * HOUR, 24 * HOUR),  # but not beyond max_interval
        (50, 1e12, 24 * HOUR),
    ],
)
def test_retry_after_is_honoured_up_to_max_interval(
    errors: int, retry_after: float, expected: float
) -> None:
    at = after_error(NOW, 900.0, errors, schedule(), random.Random(1), retry_after=retry_after)
    assert wait(at) == expected


def test_error_jitter_stays_within_bounds() -> None:
    rng = random.Random(11)
    settings = schedule(jitter=300.0)
    waits = [wait(after_error(NOW, 900.0, 3, settings, rng)) for _ in range(500)]
    assert all(3600.0 <= w <= 3900.0 for w in waits)
    assert min(waits) < 3620.0
    assert max(waits) > 3880.0
    with_retry = after_error(NOW, 900.0, 1, settings, rng, retry_after=2 * HOUR)
    assert 2 * HOUR <= wait(with_retry) <= 2 * HOUR + 300.0
