#!/usr/bin/env python3
"""Alert latency: from an item appearing in a served feed to its webhook arriving, through the
service (`ingester run`) polling every feed each --interval seconds (60) without jitter.

One process serves --feeds feeds (20) and their article pages on 127.0.0.1 and receives the
webhooks, checking each one's Standard Webhooks signature. Once the daemon has polled every
feed (and fetched the first pages), a generator thread adds items at uniformly spread random
moments to random feeds: most name CSTO and Kazakhstan, which the watch `CSTO AND Kazakhstan`
alerts on; the rest (--noise) name Kazakhstan only and must not alert. After --duration
seconds (300; 120 with --quick) it waits up to interval + 30 s for the last alerts, then stops
the daemon with SIGTERM.

Prints the items, alerts delivered, missing, duplicated (an article alerted twice) and
unexpected (an article that should not alert); p50, p95 and max of the end-to-end latency,
webhook arrival - the moment the item appeared in its feed, against the target p95 <=
interval + 5 s; and the same of the processing latency, arrival - the moment the daemon first
fetched a feed document holding the item: what is left once the wait for the next poll,
uniform in [0, interval], is taken out. With a 60 s interval that wait alone puts the
end-to-end p95 near 57 s, plus processing.

    python tests/benchmarks/bench_alert_latency.py                  # 20 feeds, 300 s
    python tests/benchmarks/bench_alert_latency.py --quick          # 120 s
    python tests/benchmarks/bench_alert_latency.py --no-extract --feeds 100 --log /tmp/d.log

Article pages are fetched and extracted, as in production (an article is matched once its
page has been tried), unless --no-extract is given. Every feed and page is on one host, so
the daemon's per-host connection limit (4 by default) covers all of them. The daemon's
stderr goes to --log (by default a file in the temporary directory); its warnings and errors
are printed at the end. Times are wall-clock: it sleeps for the whole run. Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

REPO = Path(__file__).resolve().parents[2]
SECRET_ENV = "BENCH_WEBHOOK_SECRET"
WATCH = "CSTO AND Kazakhstan"
KEEP = 50  # items per feed document, newest first
BASELINE = 2  # items per feed before the clock starts; they must not alert
STARTUP_TIMEOUT = 120.0  # for the first poll of every feed (and its pages)
STOP_TIMEOUT = 30.0
GROUP_GRACE = 5.0  # for parser processes to exit after the daemon

PLACES = ("Almaty", "Astana", "Shymkent", "Karaganda", "Aktobe", "Pavlodar", "Oral", "Taraz")
MATCHING_TITLES = (
    "CSTO exercise {n} opens near {place}, Kazakhstan",
    "Kazakhstan hosts CSTO staff talks in {place} (report {n})",
    "CSTO peacekeepers rehearse in {place}; Kazakhstan sends a battalion ({n})",
)
QUIET_TITLES = (
    "Kazakhstan wheat harvest in {place} beats forecasts (report {n})",
    "New rail link to {place} opens in Kazakhstan ({n})",
    "Kazakhstan's central bank holds rates; {place} prices steady ({n})",
)
# Each item is a story of its own: its sentences are drawn from these parts, with their own
# figures, so no two items are near-identical (story detection would rightly group them as
# copies of one story and alert once).
SUBJECTS = (
    "The defence ministry",
    "A regional governor",
    "The border service",
    "Local officials",
    "A parliamentary committee",
    "The emergency ministry",
    "Railway operators",
    "The akimat",
    "Customs officers",
    "A government spokesman",
    "Army engineers",
    "The health ministry",
)
VERBS = (
    "said it had moved",
    "reported delivering",
    "confirmed ordering",
    "announced plans for",
    "denied reports of",
    "published figures on",
    "promised to review",
    "began inspecting",
)
OBJECTS = (
    "armoured vehicles",
    "field hospitals",
    "fuel reserves",
    "supply convoys",
    "communication posts",
    "rail wagons",
    "water pumps",
    "temporary bridges",
    "signal towers",
    "medical teams",
    "grain shipments",
    "road checkpoints",
)
MONTHS = ("January", "March", "May", "July", "September", "November")


def sentence(place: str, rng: random.Random) -> str:
    return (
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.randint(3, 980)} "
        f"{rng.choice(OBJECTS)} near {place} on {rng.randint(1, 28)} {rng.choice(MONTHS)}, "
        f"{rng.randint(2, 60)} kilometres from {rng.choice(PLACES)}."
    )


@dataclass
class Item:
    """A news item of one feed, and what happened to it."""

    number: int
    feed: int
    matching: bool  # the watch should alert on it
    baseline: bool  # in its feed before the clock starts
    title: str
    paragraphs: tuple[str, ...]
    published: datetime
    appeared: float = 0.0  # monotonic: the item became part of its feed's document
    served: float | None = None  # the first feed response that held it
    page_served: float | None = None  # the first response with its article page
    arrivals: list[float] = field(default_factory=list)  # webhooks that named it
    webhook_ids: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/news/{self.number:05d}.html"


def make_item(
    number: int, feed: int, matching: bool, rng: random.Random, *, baseline: bool = False
) -> Item:
    place = rng.choice(PLACES)
    title = rng.choice(MATCHING_TITLES if matching else QUIET_TITLES).format(n=number, place=place)
    if matching:
        lead = (
            f"Troops of the CSTO arrived in {place}, Kazakhstan, on item {number}'s day, the "
            "defence ministry said, for drills with the alliance's rapid reaction force."
        )
    else:
        lead = (
            f"Figures released in {place}, Kazakhstan, for item {number} showed steady growth, "
            "the statistics office said, with no change expected this quarter."
        )
    filler = [" ".join(sentence(place, rng) for _ in range(3)) for _ in range(3)]
    return Item(number, feed, matching, baseline, title, (lead, *filler), datetime.now(UTC))


class Newsroom:
    """The feeds, their pages and the webhook receiver's records, shared between threads."""

    def __init__(self, feeds: int, secret: str, base: str = "") -> None:
        self.lock = threading.Lock()
        self.base = base  # http://127.0.0.1:PORT, set once the server listens
        self.feeds: list[list[Item]] = [[] for _ in range(feeds)]
        self.items: dict[str, Item] = {}
        self.polls: list[tuple[float, int, int]] = []  # (monotonic time, feed, HTTP status)
        self.strays: list[str] = []  # alerted URLs that name no item
        self.bad_signatures = 0
        self.webhook = Webhook(secret)

    def add(self, item: Item) -> None:
        with self.lock:
            item.appeared = time.monotonic()
            self.feeds[item.feed].insert(0, item)
            self.items[item.path] = item

    def feed_response(self, index: int, etag: str | None) -> tuple[int, bytes, str]:
        """Status, body and ETag of feed ``index``; the poll is recorded."""
        with self.lock:
            shown = self.feeds[index][:KEEP]
            body = rss(index, shown, self.base).encode()
            tag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
            now = time.monotonic()
            status = 304 if etag == tag else 200
            self.polls.append((now, index, status))
            if status == 200:
                for item in shown:
                    if item.served is None:
                        item.served = now
        return status, b"" if status == 304 else body, tag

    def page(self, path: str) -> bytes | None:
        with self.lock:
            item = self.items.get(path)
            if item is None:
                return None
            if item.page_served is None:
                item.page_served = time.monotonic()
        return article_page(item).encode()

    def receive(self, body: bytes, headers: dict[str, str]) -> bool:
        """Record a webhook's articles; False if its signature does not verify."""
        now = time.monotonic()
        try:
            payload = self.webhook.verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.bad_signatures += 1
            return False
        message_id = {k.lower(): v for k, v in headers.items()}.get("webhook-id", "")
        with self.lock:
            for article in payload["data"]["articles"]:
                item = self.items.get(urlsplit(article["url"]).path)
                if item is None:
                    self.strays.append(article["url"])
                    continue
                item.arrivals.append(now)
                item.webhook_ids.append(message_id)
        return True


def rss(index: int, items: Sequence[Item], base: str) -> str:
    parts = [
        f"<item><title>{escape(item.title)}</title><link>{base}{item.path}</link>"
        f'<guid isPermaLink="true">{base}{item.path}</guid>'
        f"<pubDate>{format_datetime(item.published, usegmt=True)}</pubDate>"
        f"<description>{escape(item.paragraphs[0])}</description></item>"
        for item in items
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {index}</title><link>{base}/</link>"
        f"<description>Feed {index} of the alert latency benchmark</description>"
        + "".join(parts)
        + "</channel></rss>"
    )


def article_page(item: Item) -> str:
    paragraphs = "".join(f"<p>{escape(text)}</p>" for text in item.paragraphs)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(item.title)} | Bench News</title></head><body>"
        '<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>'
        f"<main><article><h1>{escape(item.title)}</h1><p>By the Bench News desk</p>"
        f"{paragraphs}</article></main><footer>Bench News, all rights reserved</footer>"
        "</body></html>"
    )


def handler_for(room: Newsroom) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle(self) -> None:
            # The daemon's clients reset idle keep-alive connections rather than close them.
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                super().handle()

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path.startswith("/feeds/") and path.endswith(".xml"):
                number = path[len("/feeds/") : -len(".xml")]
                index = int(number) if number.isdigit() else -1
                if not 0 <= index < len(room.feeds):
                    self.answer(404, b"no such feed", "text/plain")
                    return
                status, body, tag = room.feed_response(index, self.headers.get("If-None-Match"))
                self.answer(status, body, "application/rss+xml; charset=utf-8", {"ETag": tag})
                return
            page = room.page(path)
            if page is None:
                self.answer(404, b"not found", "text/plain")
            else:
                self.answer(200, page, "text/html; charset=utf-8")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if urlsplit(self.path).path != "/hook":
                self.answer(404, b"not found", "text/plain")
            elif room.receive(body, dict(self.headers.items())):
                self.answer(200, b"ok", "text/plain")
            else:
                self.answer(401, b"bad signature", "text/plain")

        def answer(
            self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None
        ) -> None:
            try:
                self.send_response(status)
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def write_config(
    path: Path, base: str, feeds: int, interval: float, workers: int, extract: bool
) -> None:
    feed_tables = "".join(
        f'[[feeds]]\nurl = "{base}/feeds/{index}.xml"\nname = "Bench feed {index}"\n\n'
        for index in range(feeds)
    )
    path.write_text(
        f'[storage]\npath = "{path.parent / "ingester.db"}"\n\n'
        "[fetch]\nallow_private_networks = true\n\n"
        f'[schedule]\ninterval = "{interval:g}s"\njitter = "0s"\nworkers = {workers}\n\n'
        f"[extract]\nenabled = {'true' if extract else 'false'}\n\n"
        f"{feed_tables}"
        f'[notifiers.hook]\ntype = "webhook"\nurl = "{base}/hook"\nsecret_env = "{SECRET_ENV}"\n\n'
        f'[[watches]]\nname = "csto-kazakhstan"\nquery = "{WATCH}"\nnotify = ["hook"]\n',
        encoding="utf-8",
    )


def plan(
    count: int, feeds: int, duration: float, noise: float, rng: random.Random
) -> list[tuple[float, int, bool]]:
    """(seconds after the start, feed, matching) for each item, in time order."""
    return sorted(
        (rng.uniform(0, duration), rng.randrange(feeds), rng.random() >= noise)
        for _ in range(count)
    )


def generate(
    room: Newsroom,
    schedule: list[tuple[float, int, bool]],
    first: int,
    started: float,
    rng: random.Random,
    stop: threading.Event,
) -> None:
    for number, (offset, feed, matching) in enumerate(schedule, start=first):
        if stop.wait(max(0.0, started + offset - time.monotonic())):
            return
        room.add(make_item(number, feed, matching, rng))


def wait_until(condition: Any, timeout: float, daemon: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if daemon.poll() is not None:
            return False
        time.sleep(0.2)
    return bool(condition())


def stop_daemon(daemon: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then SIGKILL to its process group if it is still there after STOP_TIMEOUT."""
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            print(f"daemon still running {STOP_TIMEOUT:g} s after SIGTERM: killed")
            kill_group(daemon)
    code = daemon.wait()
    if kill_group(daemon, grace=GROUP_GRACE):
        print(f"processes of the daemon's group were still running {GROUP_GRACE:g} s after it"
              " exited: killed")  # fmt: skip
    return code


def kill_group(daemon: subprocess.Popen[bytes], grace: float = 0.0) -> bool:
    """Kill what is left of the daemon's process group after ``grace`` seconds (it runs in
    its own session, so the group id is its pid); True if anything was left."""
    deadline = time.monotonic() + grace
    while True:
        try:
            os.killpg(daemon.pid, 0 if time.monotonic() < deadline else signal.SIGKILL)
        except ProcessLookupError:
            return False
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.1)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile, interpolated between closest ranks; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = q / 100 * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def spread(values: Sequence[float]) -> str:
    if not values:
        return "no values"
    return (
        f"p50 {percentile(values, 50):5.1f} s  p95 {percentile(values, 95):5.1f} s  "
        f"max {max(values):5.1f} s  (n={len(values)})"
    )


def poll_gaps(polls: Sequence[tuple[float, int, int]]) -> list[float]:
    last: dict[int, float] = {}
    gaps = []
    for when, feed, _ in sorted(polls):
        if feed in last:
            gaps.append(when - last[feed])
        last[feed] = when
    return gaps


def daemon_problems(log: Path) -> list[str]:
    """The distinct warning and error lines of the daemon's log (timestamps dropped), and the
    lines of any traceback."""
    seen: dict[str, int] = {}
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if " WARNING " in line or " ERROR " in line or " CRITICAL " in line:
            message = line.split(" ", 1)[-1]
        elif line.startswith(("Traceback", "  ", "    ")) or "Error:" in line:
            message = line
        else:
            continue
        seen[message] = seen.get(message, 0) + 1
    return [f"{text}" + (f"  (x{count})" if count > 1 else "") for text, count in seen.items()]


def run_load(
    room: Newsroom,
    daemon: subprocess.Popen[bytes],
    schedule: list[tuple[float, int, bool]],
    args: argparse.Namespace,
    rng: random.Random,
    stop: threading.Event,
) -> bool | None:
    """Wait for the first poll, add the items, wait for their alerts. True if some alerts
    were still missing at the deadline; None if the daemon never polled every feed."""
    started = time.monotonic()

    def first_poll_done() -> bool:
        with room.lock:
            polled = {feed for _, feed, _ in room.polls}
            pages = not args.extract or all(i.page_served for i in room.items.values())
        return len(polled) == len(room.feeds) and pages

    what = "feed and page" if args.extract else "feed"
    if not wait_until(first_poll_done, STARTUP_TIMEOUT, daemon):
        print(f"the daemon did not fetch every {what} within {STARTUP_TIMEOUT:g} s"
              f" (exit code {daemon.poll()})")  # fmt: skip
        return None
    print(f"first fetch of every {what}: {time.monotonic() - started:.1f} s after the daemon"
          f" started; adding items for {args.duration:g} s", flush=True)  # fmt: skip
    time.sleep(2.0)  # the first cycle's matching and sending settle before the clock starts
    clock = time.monotonic()
    first = len(room.items)
    generator = threading.Thread(
        target=generate, args=(room, schedule, first, clock, rng, stop), daemon=True
    )
    generator.start()
    while generator.is_alive():
        generator.join(timeout=60.0)
        with room.lock:
            added = len(room.items) - first
            arrived = sum(bool(item.arrivals) for item in room.items.values())
        print(f"  t+{time.monotonic() - clock:4.0f} s: {added} items added, {arrived} alerted",
              flush=True)  # fmt: skip

    def all_alerted() -> bool:
        with room.lock:
            return all(i.arrivals for i in room.items.values() if i.matching)

    return not wait_until(all_alerted, args.interval + 30, daemon)


def report(
    room: Newsroom, interval: float, extract: bool, code: int, log: Path, gave_up: bool
) -> None:
    with room.lock:
        items = list(room.items.values())
    timed = [item for item in items if not item.baseline]
    expected = [item for item in timed if item.matching]
    delivered = [item for item in expected if item.arrivals]
    missing = [item for item in expected if not item.arrivals]
    duplicates = [item for item in items if len(item.arrivals) > 1]
    same_id = [item for item in duplicates if len(set(item.webhook_ids)) < len(item.webhook_ids)]
    unexpected = [item for item in items if not item.matching and item.arrivals]

    def gaps(start: str, end: str) -> list[float]:
        moments = (
            (getattr(item, start), item.arrivals[0] if end == "arrival" else getattr(item, end))
            for item in delivered
        )
        return [b - a for a, b in moments if a is not None and b is not None]

    end_to_end = gaps("appeared", "arrival")
    p95 = percentile(end_to_end, 95)
    target = interval + 5
    verdict = "n/a" if math.isnan(p95) else "met" if p95 <= target else "NOT met"
    print()
    print(f"items: {len(timed)} added during the run, {len(expected)} matching (alert expected)"
          f" and {len(timed) - len(expected)} not; {len(items) - len(timed)} before it, not"
          " matching")  # fmt: skip
    print(f"delivered {len(delivered)}, missing {len(missing)}, duplicates {len(duplicates)}"
          f" ({len(same_id)} with a repeated webhook-id), unexpected {len(unexpected)},"
          f" unknown URLs {len(room.strays)}, bad signatures {room.bad_signatures}")  # fmt: skip
    print(f"end-to-end latency (appeared -> webhook):  {spread(end_to_end)}")
    print(f"target p95 <= interval + 5 s = {target:g} s: {verdict}")
    print(f"  poll wait (appeared -> feed fetched):    {spread(gaps('appeared', 'served'))}")
    print(f"  processing (feed fetched -> webhook):    {spread(gaps('served', 'arrival'))}")
    if extract:
        print(f"    feed fetched -> page fetched:          {spread(gaps('served', 'page_served'))}")
        print(
            f"    page fetched -> webhook:               {spread(gaps('page_served', 'arrival'))}"
        )
    between = poll_gaps(room.polls)
    statuses = [status for _, _, status in room.polls]
    print(f"feed polls: {len(room.polls)} ({statuses.count(200)} answered 200,"
          f" {statuses.count(304)} 304); between two polls of a feed: median"
          f" {percentile(between, 50):.1f} s, min {min(between, default=math.nan):.1f} s,"
          f" max {max(between, default=math.nan):.1f} s")  # fmt: skip
    for item in missing[:10]:
        fetched = "feed never fetched since" if item.served is None else (
            f"feed fetched +{item.served - item.appeared:.1f} s"
        )  # fmt: skip
        page = (
            "" if item.page_served is None else f", page +{item.page_served - item.appeared:.1f} s"
        )
        print(f"  missing: item {item.number} of feed {item.feed}, {fetched}{page}")
    if gave_up:
        print(f"(stopped waiting for the last alerts after interval + 30 s = {interval + 30:g} s)")
    problems = daemon_problems(log)
    print(f"daemon: exit code {code}; {len(problems)} distinct warning/error lines in its stderr")
    for line in problems[:15]:
        print(f"  {line}")
    if len(problems) > 15:
        print(f"  ... and {len(problems) - 15} more (see --log)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feeds", type=int, default=20)
    ap.add_argument("--duration", type=float, default=300.0, help="seconds of new items")
    ap.add_argument("--quick", action="store_true", help="--duration 120")
    ap.add_argument("--interval", type=float, default=60.0, help="poll interval, seconds")
    ap.add_argument("--rate", type=float, default=20.0, help="new items a minute, all feeds")
    ap.add_argument("--noise", type=float, default=0.25, help="share of items that must not alert")
    ap.add_argument("--workers", type=int, default=0, help="parser processes (0: one per core)")
    ap.add_argument("--no-extract", dest="extract", action="store_false",
                    help="do not fetch article pages")  # fmt: skip
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--log", type=Path, help="keep the daemon's stderr in this file")
    args = ap.parse_args()
    if args.quick:
        args.duration = 120.0

    rng = random.Random(args.seed)
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    room = Newsroom(args.feeds, secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(room))
    server.daemon_threads = True
    room.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    for number in range(args.feeds * BASELINE):
        room.add(make_item(number, number % args.feeds, False, rng, baseline=True))
    schedule = plan(round(args.rate * args.duration / 60), args.feeds, args.duration,
                    args.noise, rng)  # fmt: skip
    matching = sum(m for _, _, m in schedule)
    stop = threading.Event()

    with tempfile.TemporaryDirectory(prefix="bench-alert-") as work:
        config = Path(work) / "ingester.toml"
        write_config(config, room.base, args.feeds, args.interval, args.workers, args.extract)
        log = args.log or Path(work) / "daemon.log"
        command = [sys.executable, "-m", "ingester", "--config", str(config), "run"]
        workers = args.workers or os.cpu_count() or 1
        print(f"alert latency: {args.feeds} feeds on {room.base}; items for {args.duration:g} s,"
              f" {len(schedule)} planned ({matching} matching, {len(schedule) - matching} not),"
              f" seed {args.seed}")  # fmt: skip
        print(f"daemon: interval {args.interval:g} s, jitter 0 s, extraction"
              f" {'on' if args.extract else 'off'}, {workers} worker processes;"
              f" watch {WATCH!r} -> signed webhook")  # fmt: skip
        print(f"command: {' '.join(command)}", flush=True)
        with log.open("wb") as stderr:
            daemon = subprocess.Popen(
                command, cwd=work, env={**os.environ, SECRET_ENV: secret},
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                start_new_session=True,  # its own process group: killed whole if it hangs
            )  # fmt: skip
        try:
            gave_up = run_load(room, daemon, schedule, args, rng, stop)
        finally:
            stop.set()
            code = stop_daemon(daemon)
            server.shutdown()
            server.server_close()
        report(room, args.interval, args.extract, code, log, bool(gave_up))
        if gave_up is None:
            print("last lines of the daemon's stderr:")
            for line in log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:]:
                print(f"  {line}")


if __name__ == "__main__":
    main()
