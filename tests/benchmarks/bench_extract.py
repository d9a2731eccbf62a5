#!/usr/bin/env python3
"""Extraction benchmark: quality on ``tests/data/pages`` and throughput on the shared corpus.

Quality: precision, recall and F1 over word 4-gram shingles against each page's golden body
(``X.expected.txt``), per page and averaged over pages, for trafilatura alone with its default
settings, trafilatura with ``favor_precision``, and ``ingester.extract.extract`` without and
with the page's feed text (``X.feed.txt``) as evidence. A second mean leaves out the pages
whose golden body is the feed's text (paywall, consent, error and cut-short pages). Shingles
are taken within each line (paragraph), lowercased, as sets; a line of fewer than four words is
one shingle.

Throughput: pages/s of ``extract()`` on the benchmark corpus's article pages in one process and
in a process pool over every core, beside ``trafilatura.extract`` alone on one core; each in
pages per second of wall time and per CPU-second (the latter does not move with other load).

    python tests/benchmarks/bench_extract.py                       # both parts
    python tests/benchmarks/bench_extract.py --quality             # the table only
    python tests/benchmarks/bench_extract.py --speed --corpus /tmp/corpus --pages 3000

The corpus is ``/tmp/corpus`` when it exists, else one generated with
``../shared/bench/gen_corpus.py DIR --feeds 50``. Figures, not a test: the machine is shared
and noisy, so compare runs made in one sitting.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import trafilatura

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from ingester.extract import extract  # noqa: E402  (the path above makes the checkout importable)

PAGES = REPO / "tests" / "data" / "pages"
GEN_CORPUS = REPO.parent / "shared" / "bench" / "gen_corpus.py"
DEFAULT_CORPUS = Path("/tmp/corpus")
WORD = re.compile(r"\w+")

Shingle = tuple[str, ...]
Scores = tuple[float, float, float]


def shingles(text: str | None, n: int = 4) -> set[Shingle]:
    found: set[Shingle] = set()
    for line in (text or "").splitlines():
        words = WORD.findall(line.lower())
        if 0 < len(words) < n:
            found.add(tuple(words))
        found.update(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    return found


def score(got: str | None, expected: str) -> Scores:
    g, e = shingles(got), shingles(expected)
    if not g and not e:
        return 1.0, 1.0, 1.0
    hits = len(g & e)
    precision = hits / len(g) if g else 0.0
    recall = hits / len(e) if e else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def test_pages() -> list[tuple[str, bytes, str, str | None]]:
    """(name, page, golden body, feed text or None) for every page of the test set."""
    found = []
    for html in sorted(PAGES.glob("*.html")):
        stem = html.with_suffix("")
        feed = stem.with_name(stem.name + ".feed.txt")
        found.append(
            (
                stem.name,
                html.read_bytes(),
                stem.with_name(stem.name + ".expected.txt").read_text(encoding="utf-8"),
                feed.read_text(encoding="utf-8") if feed.exists() else None,
            )
        )
    return found


def quality() -> None:
    systems: dict[str, Callable[[bytes, str | None], str | None]] = {
        "trafilatura": lambda page, feed: trafilatura.extract(page),
        "precision": lambda page, feed: trafilatura.extract(page, favor_precision=True),
        "extract() no feed": lambda page, feed: extract(page, content_type="text/html").body,
        "extract()": lambda page, feed: (
            extract(page, feed_text=feed, content_type="text/html").body
        ),
    }
    pages = test_pages()
    scored: dict[str, list[Scores]] = {name: [] for name in systems}
    head = "".join(f"  {name:>20s}" for name in systems)
    print(f"{'page':36s}{head}  method of extract()")
    print(f"{'':36s}" + "  " + "  ".join(f"{'P    R    F1':>20s}" for _ in systems))
    for name, page, expected, feed in pages:
        cells = []
        for system, run in systems.items():
            p, r, f = score(run(page, feed), expected)
            scored[system].append((p, r, f))
            cells.append(f"{p:.2f} {r:.2f} {f:.2f}")
        method = extract(page, feed_text=feed, content_type="text/html").method
        print(f"{name[:36]:36s}" + "".join(f"  {c:>20s}" for c in cells) + f"  {method}")
    on_page = [i for i, (_, _, expected, feed) in enumerate(pages) if expected != feed]
    print(f"{f'mean over {len(pages)} pages':36s}{_means(scored, range(len(pages)))}")
    print(f"{f'mean over {len(on_page)} with the body on the page':36s}{_means(scored, on_page)}")


def _means(scored: dict[str, list[Scores]], rows: Iterable[int]) -> str:
    rows = list(rows)
    cells = []
    for per_page in scored.values():
        means = [sum(per_page[i][k] for i in rows) / len(rows) for k in range(3)]
        cells.append(f"  {' '.join(f'{v:.3f}' for v in means):>20s}")
    return "".join(cells)


def corpus_pages(corpus: Path | None, limit: int) -> list[bytes]:
    if corpus is None:
        corpus = DEFAULT_CORPUS
        if not (corpus / "articles").is_dir():
            corpus = Path(tempfile.mkdtemp(prefix="extract-corpus-"))
            print(f"generating a corpus in {corpus} ...", flush=True)
            subprocess.run(
                [sys.executable, str(GEN_CORPUS), str(corpus), "--feeds", "50"], check=True
            )
    paths = sorted((corpus / "articles").glob("*.html"))[:limit]
    if not paths:
        raise SystemExit(f"no article pages under {corpus / 'articles'}")
    print(f"corpus: {len(paths)} pages from {corpus / 'articles'}")
    return [path.read_bytes() for path in paths]


def extract_one(page: bytes) -> tuple[int, float]:
    """Worker task: the body's length and the CPU seconds spent, so little travels back."""
    start = time.process_time()
    chars = len(extract(page, content_type="text/html").body or "")
    return chars, time.process_time() - start


def trafilatura_one(page: bytes) -> tuple[int, float]:
    start = time.process_time()
    chars = len(trafilatura.extract(page) or "")
    return chars, time.process_time() - start


def timed(label: str, count: int, run: Callable[[], Iterable[tuple[int, float]]]) -> float:
    """Print pages/s of wall time and pages per CPU-second (what the machine's other load
    cannot change); return the first."""
    start = time.perf_counter()
    results = list(run())
    elapsed = time.perf_counter() - start
    chars = sum(c for c, _ in results)
    cpu = sum(t for _, t in results)
    rate = count / elapsed
    print(
        f"{label:40s} {rate:7.1f} pages/s  {count / cpu:7.1f} pages/CPU-s  "
        f"({elapsed:.1f} s, avg body {chars / count:.0f} chars)"
    )
    return rate


def speed(corpus: Path | None, limit: int) -> None:
    pages = corpus_pages(corpus, limit)
    count = len(pages)
    cores = os.cpu_count() or 1
    timed("trafilatura.extract alone, 1 process", count, lambda: map(trafilatura_one, pages))
    single = timed("extract(), 1 process", count, lambda: map(extract_one, pages))
    with ProcessPoolExecutor(cores) as pool:
        list(pool.map(extract_one, pages[: cores * 4]))  # start the workers and import
        chunk = max(1, count // (cores * 16))
        pooled = timed(
            f"extract(), process pool of {cores}",
            count,
            lambda: pool.map(extract_one, pages, chunksize=chunk),
        )
    print(f"pool speed-up over one process: {pooled / single:.2f}x on {cores} cores")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quality", action="store_true", help="only the quality table")
    ap.add_argument("--speed", action="store_true", help="only the throughput figures")
    ap.add_argument("--corpus", type=Path, help="a gen_corpus.py directory (default /tmp/corpus)")
    ap.add_argument("--pages", type=int, default=3000, help="corpus pages to time (default 3000)")
    args = ap.parse_args()
    both = not (args.quality or args.speed)
    if args.quality or both:
        quality()
    if args.speed or both:
        if args.quality or both:
            print()
        speed(args.corpus, args.pages)


if __name__ == "__main__":
    main()
