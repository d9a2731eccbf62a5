#!/usr/bin/env python3
"""Cycle benchmark: `ingester run --once` on the shared corpus, beside naive.py and reader.

Prints the cold cycle (every entry new) in feeds/s and entries/s, the warm cycle (every feed
answers 304) in feeds/s, and peak RSS, then runs ../shared/bench/naive.py and
../shared/bench/peer_reader.py on the same corpus in the same sitting and prints the ratios.
Memory is sampled in one extra cold + warm run after the timed ones, not during them.

    python tests/benchmarks/bench_cycle.py                 # generates the corpus, starts nginx
    python tests/benchmarks/bench_cycle.py --corpus /tmp/corpus --runs 3

Needs nginx (apt-get install nginx) and the bench extras (pip install -e '.[bench]').
Article fetching is off unless --extract is given, which adds the full pipeline figure: the
cold cycle followed by fetching and extracting all 30,000 article pages. Not part of the test
suite.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "bench"
BASE = "http://127.0.0.1:8181"


def serving() -> bool:
    try:
        with urllib.request.urlopen(f"{BASE}/feeds.txt", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def ensure_corpus(corpus: Path, feeds: int, items: int) -> None:
    if (corpus / "feeds.txt").exists():
        return
    print(f"generating corpus in {corpus} ...", flush=True)
    subprocess.run(
        [sys.executable, str(SHARED / "gen_corpus.py"), str(corpus), "--feeds", str(feeds),
         "--items", str(items)],
        check=True,
    )  # fmt: skip


def ensure_nginx(corpus: Path) -> bool:
    """Start nginx on the corpus unless something already serves it; True if we started it."""
    if serving():
        return False
    if not shutil.which("nginx"):
        sys.exit("nginx is not installed: apt-get install -y nginx")
    subprocess.run(["nginx", "-c", str(SHARED / "nginx.conf"), "-p", f"{corpus}/"], check=True)
    for _ in range(50):
        if serving():
            return True
        time.sleep(0.1)
    sys.exit("nginx did not come up on 127.0.0.1:8181")


def tree_memory_kib(pid: int) -> tuple[int, int]:
    """RSS and PSS of a process and all its descendants, in KiB.

    RSS counts pages that forked workers share with each other once per process; PSS splits
    them between the sharers, so its sum is the memory the tree really uses.
    """
    rss = pss = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
            with open(f"/proc/{current}/task/{current}/children") as fh:
                pending.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return rss, pss


def run_cycle(
    config: Path, *extra: str, sample_memory: bool = False
) -> tuple[dict[str, object], float, tuple[int, int], int]:
    """Run `ingester run --once --json`: report, wall seconds, peak tree (RSS, PSS), main RSS.

    Memory is sampled only if asked: reading smaps_rollup of every process 50 times a second
    costs the kernel a page-table walk each time, under the process's memory lock, and made
    the cold cycle about a second slower (7.0-7.1 s against 6.0-6.2 s). The peers run with
    no sampler, so the timed runs do not have one either.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingester", "--config", str(config), "run", "--once", "--json",
         *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    peaks = {"rss": 0, "pss": 0, "main": 0}

    def sample() -> None:
        while proc.poll() is None:
            rss, pss = tree_memory_kib(proc.pid)
            peaks["rss"] = max(peaks["rss"], rss)
            peaks["pss"] = max(peaks["pss"], pss)
            peaks["main"] = max(peaks["main"], main_peak_kib(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_memory:
        sampler.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - started
    if sample_memory:
        sampler.join()
    if proc.returncode != 0:
        sys.exit(f"ingester exited {proc.returncode}")
    report = json.loads(out.strip().splitlines()[-1])
    return report, wall, (peaks["rss"], peaks["pss"]), peaks["main"]


def main_peak_kib(pid: int) -> int:
    """The main process's own high-water mark (VmHWM), in KiB."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def peer(script: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(SHARED / script), *args], capture_output=True, text=True, check=False
    )
    return (result.stdout or result.stderr).strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "corpus")
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=30)
    ap.add_argument("--runs", type=int, default=1, help="cold+warm repetitions (median shown)")
    ap.add_argument("--workers", type=int, default=0, help="parser processes (0: one per core)")
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--extract", action="store_true", help="also fetch and extract every page")
    args = ap.parse_args()

    ensure_corpus(args.corpus, args.feeds, args.items)
    started_nginx = ensure_nginx(args.corpus)
    work = Path(tempfile.mkdtemp(prefix="bench-ingester-"))
    config = work / "ingester.toml"
    cold, warm, walls, trees, mains = [], [], [], [], []
    entries = 0
    try:
        # The timed runs, then one more cold + warm run with memory sampled (see run_cycle).
        for run in range(args.runs + 1):
            measuring = run == args.runs
            db = work / f"bench-{run}.db"
            config.write_text(
                f'opml = ["{args.corpus / "feeds.opml"}"]\n[storage]\npath = "{db}"\n'
                "[fetch]\nallow_private_networks = true\nper_host_connections = 16\n"
                f'[schedule]\ninterval = "1h"\njitter = "0s"\nworkers = {args.workers}\n'
                f"[extract]\nenabled = {'true' if args.extract else 'false'}\n"
            )
            report, wall, tree, main_rss = run_cycle(config, sample_memory=measuring)
            assert report["errors"] == 0, report
            if args.extract and not measuring:
                pages = report["pages"]
                assert isinstance(pages, dict)
                print(
                    f"pages: {pages['pages']} in {pages['elapsed']:.1f}s ="
                    f" {pages['pages'] / max(pages['elapsed'], 1e-9):.1f} pages/s;"
                    f" {pages['from_page']} extracted, {pages['from_feed']} from the feed;"
                    f" feeds + pages {wall:.1f}s wall"
                )
            entries = int(report["new"])  # type: ignore[call-overload]
            if not measuring:
                cold.append(float(report["elapsed"]))  # type: ignore[arg-type]
                walls.append(wall)
            trees.append(tree)
            mains.append(main_rss)
            report, wall, tree, main_rss = run_cycle(config, "--all", sample_memory=measuring)
            assert report["not_modified"] == report["feeds"], report
            if not measuring:
                warm.append(float(report["elapsed"]))  # type: ignore[arg-type]
            trees.append(tree)
            mains.append(main_rss)
            for leftover in work.glob(f"bench-{run}.db*"):
                leftover.unlink()
        feeds = args.feeds
        cold_s, warm_s, wall_s = (statistics.median(x) for x in (cold, warm, walls))
        ours_eps = entries / cold_s
        print(
            f"feed-ingester cold: {feeds / cold_s:8.1f} feeds/s {ours_eps:8.0f} entries/s "
            f"({entries} entries, cycle {cold_s:.2f}s, runs {min(cold):.2f}-{max(cold):.2f}s;"
            f" {wall_s:.2f}s with process start)"
        )
        print(f"feed-ingester warm: {feeds / warm_s:8.1f} feeds/s (all 304, cycle {warm_s:.2f}s)")
        print(
            "peak memory (one more cold + warm run, sampled every 20 ms):"
            f" {max(t[1] for t in trees) / 1024:.0f} MB all processes (PSS; RSS"
            f" summed over processes {max(t[0] for t in trees) / 1024:.0f} MB),"
            f" {max(mains) / 1024:.0f} MB main process (RSS)"
        )
        if args.skip_peers:
            return
        feeds_txt = str(args.corpus / "feeds.txt")
        naive = peer("naive.py", feeds_txt, str(feeds))
        print(naive)
        reader = peer("peer_reader.py", feeds_txt, str(feeds), "20")
        print(reader)
        naive_eps = float(re.search(r"([\d.]+) entries/s", naive).group(1))  # type: ignore[union-attr]
        reader_eps = float(re.search(r"cold [\d.]+ feeds/s ([\d.]+) entries/s", reader).group(1))  # type: ignore[union-attr]
        print(f"ratio cold entries/s: {ours_eps / naive_eps:.1f}x naive, "
              f"{ours_eps / reader_eps:.1f}x reader")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if started_nginx:
            subprocess.run(
                ["nginx", "-c", str(SHARED / "nginx.conf"), "-p", f"{args.corpus}/", "-s", "stop"],
                check=False,
            )


if __name__ == "__main__":
    main()
