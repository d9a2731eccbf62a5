#!/usr/bin/env python3
"""Story detection: quality on the labelled pairs and cost with 100,000 articles in the window.

Quality. Every pair of tests/data/stories/pairs.jsonl (written by hand, see its README) is
fingerprinted and judged with ``compare``; precision, recall and F1 of "same story" are printed
per kind and overall, then again with the declared languages removed (the script decides),
then through the index (is the earlier article an LSH candidate, and does ``find`` confirm it),
then for a sweep of the two main bars, and over ``--seeds`` permutation seeds (the seed is
patched in ``ingester.story.sketch``; the stage itself always uses seed 1), since MinHash
estimates near a bar move with the seed. Targets: precision >= 0.95, recall >= 0.90.

Cost. ``--articles`` synthetic articles (100,000) are made with a fixed seed from the sentences
of the pair set: each takes 8-30 sentences of one language from the pool, replaces 40% of their
words with words of the same language and every number with a random one, so that any two
share about as little as unrelated news does; one in ten is instead a copy of a recent one (a
sentence dropped, 2% of words changed, a new title). Their first-seen times are spread over
the seven days of the window. Each article is fingerprinted, looked up (``find``: LSH
candidates confirmed by ``compare``) and added; the milliseconds per article for each step
are wall-clock means. Memory is the process's resident set (VmRSS in /proc/self/status)
before and after the window is filled; the texts are generated on the fly and not kept.
Then the index is rebuilt from the stored (id, fingerprint bytes, first seen) rows, as after
a restart, and a day is expired.

    python tests/benchmarks/bench_stories.py                 # 100,000 articles, 20 seeds
    python tests/benchmarks/bench_stories.py --articles 20000 --seeds 5

Not part of the test suite (it measures time); tests/test_story.py guards the quality.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import numpy  # noqa: E402

from ingester.story import (  # noqa: E402
    NUM_PERM,
    SHINGLE_WORDS,
    THRESHOLDS,
    Fingerprint,
    StoryIndex,
    StoryText,
    Thresholds,
    compare,
    fingerprint,
    sketch,
)

PAIRS = REPO / "tests" / "data" / "stories" / "pairs.jsonl"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TARGET_PRECISION, TARGET_RECALL = 0.95, 0.90


@dataclass
class Pair:
    id: str
    kind: str
    same: bool
    a: StoryText
    b: StoryText


def load_pairs() -> list[Pair]:
    pairs = []
    for line in PAIRS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        sides = [
            StoryText(s["title"], s.get("summary", ""), s["body"], s["lang"])
            for s in (row["a"], row["b"])
        ]
        pairs.append(Pair(row["id"], row["kind"], row["same"], *sides))
    return pairs


# -- quality -------------------------------------------------------------------------------


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, said: bool) -> None:
        if truth:
            self.tp += said
            self.fn += not said
        else:
            self.fp += said
            self.tn += not said

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p is not None and r is not None and p + r else None


def fmt(value: float | None) -> str:
    return "    -" if value is None else f"{value:5.3f}"


def judge_all(
    pairs: list[Pair], prints: list[tuple[Fingerprint, Fingerprint]], thresholds: Thresholds
) -> Tally:
    tally = Tally()
    for pair, (a, b) in zip(pairs, prints, strict=True):
        tally.add(pair.same, compare(a, b, thresholds).same)
    return tally


def quality_table(pairs: list[Pair], prints: list[tuple[Fingerprint, Fingerprint]]) -> Tally:
    by_kind: dict[str, Tally] = defaultdict(Tally)
    overall = Tally()
    misses = []
    for pair, (a, b) in zip(pairs, prints, strict=True):
        verdict = compare(a, b)
        by_kind[pair.kind].add(pair.same, verdict.same)
        overall.add(pair.same, verdict.same)
        if verdict.same != pair.same:
            misses.append(
                f"    {pair.id}: labelled {'same' if pair.same else 'different'}, "
                f"containment {verdict.containment:.2f}, {verdict.reason}"
            )
    print(f"{'kind':18} {'pairs':>5} {'same':>4} {'TP':>3} {'FP':>3} {'FN':>3} {'TN':>3}  "
          "precision recall   F1")  # fmt: skip
    for kind in sorted(by_kind):
        t = by_kind[kind]
        n = t.tp + t.fp + t.fn + t.tn
        print(f"{kind:18} {n:5} {t.tp + t.fn:4} {t.tp:3} {t.fp:3} {t.fn:3} {t.tn:3}  "
              f"{fmt(t.precision):>9} {fmt(t.recall):>6} {fmt(t.f1):>5}")  # fmt: skip
    t = overall
    print(f"{'all':18} {len(pairs):5} {t.tp + t.fn:4} {t.tp:3} {t.fp:3} {t.fn:3} {t.tn:3}  "
          f"{fmt(t.precision):>9} {fmt(t.recall):>6} {fmt(t.f1):>5}")  # fmt: skip
    if misses:
        print("  wrong verdicts:")
        print("\n".join(misses))
    return overall


def through_index(pairs: list[Pair], prints: list[tuple[Fingerprint, Fingerprint]]) -> None:
    """Each pair's first article is indexed (once per distinct text); the second is looked up:
    is the first among the LSH candidates, and among the candidates ``compare`` confirms?"""
    index = StoryIndex()
    ids: dict[bytes, int] = {}
    for a, _ in prints:
        ids.setdefault(a.to_bytes(), len(ids))
        index.add(ids[a.to_bytes()], a, NOW)
    candidate, confirmed = Tally(), Tally()
    for pair, (a, b) in zip(pairs, prints, strict=True):
        wanted = ids[a.to_bytes()]
        found = index.candidates(b)
        candidate.add(pair.same, wanted in found)
        same = [i for i in found if compare(b, index.fingerprint(i)).same]
        confirmed.add(pair.same, wanted in same)
    bands, rows = index.bands
    print(f"  {len(ids)} distinct first articles indexed; LSH with {bands} bands of {rows} rows")
    print(f"  the first article is an LSH candidate for {candidate.tp} of "
          f"{candidate.tp + candidate.fn} same-story pairs "
          f"(recall {fmt(candidate.recall)})")  # fmt: skip
    print(f"  candidates confirmed by compare: precision {fmt(confirmed.precision)}, recall "
          f"{fmt(confirmed.recall)}, F1 {fmt(confirmed.f1)}")  # fmt: skip


def sweep(pairs: list[Pair], prints: list[tuple[Fingerprint, Fingerprint]]) -> None:
    print(f"  {'body':>5} {'short':>5}  precision recall    F1")
    for body in (0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70):
        t = judge_all(pairs, prints, Thresholds(body=body, short=THRESHOLDS.short))
        mark = "  <- default" if body == THRESHOLDS.body else ""
        print(f"  {body:5.2f} {THRESHOLDS.short:5.2f}  {fmt(t.precision):>9} {fmt(t.recall):>6} "
              f"{fmt(t.f1):>5}{mark}")  # fmt: skip
    for short in (0.35, 0.40, 0.45, 0.55, 0.60, 0.65, 0.70):
        t = judge_all(pairs, prints, Thresholds(body=THRESHOLDS.body, short=short))
        print(f"  {THRESHOLDS.body:5.2f} {short:5.2f}  {fmt(t.precision):>9} {fmt(t.recall):>6} "
              f"{fmt(t.f1):>5}")  # fmt: skip
    for update in (0.70, 0.90, 1.01):
        t = judge_all(pairs, prints, Thresholds(update=update))
        print(f"  update bar {update:4.2f} (numbers veto below it): precision "
              f"{fmt(t.precision)}, recall {fmt(t.recall)}")  # fmt: skip


def fingerprints(pairs: list[Pair]) -> list[tuple[Fingerprint, Fingerprint]]:
    return [(fingerprint(p.a), fingerprint(p.b)) for p in pairs]


def over_seeds(pairs: list[Pair], seeds: int) -> None:
    precisions, recalls = [], []
    for seed in range(1, seeds + 1):
        sketch.SEED = seed
        sketch._permutations.cache_clear()
        t = judge_all(pairs, fingerprints(pairs), THRESHOLDS)
        precisions.append(t.precision or 0.0)
        recalls.append(t.recall or 0.0)
    sketch.SEED = 1
    sketch._permutations.cache_clear()
    print(f"  over permutation seeds 1-{seeds}: precision min {min(precisions):.3f} "
          f"mean {statistics.mean(precisions):.3f}; recall min {min(recalls):.3f} "
          f"mean {statistics.mean(recalls):.3f}")  # fmt: skip


def no_lang(text: StoryText) -> StoryText:
    return StoryText(text.title, text.summary, text.body, None)


def quality(seeds: int) -> None:
    pairs = load_pairs()
    print(f"Same story over {len(pairs)} labelled pairs ({PAIRS.relative_to(REPO)})")
    bars = THRESHOLDS
    print(f"  k={SHINGLE_WORDS} words, num_perm={NUM_PERM}, thresholds body={bars.body} "
          f"short={bars.short} update={bars.update} numbers={bars.numbers}")  # fmt: skip
    print()
    prints = fingerprints(pairs)
    overall = quality_table(pairs, prints)
    ok = (overall.precision or 0) >= TARGET_PRECISION and (overall.recall or 0) >= TARGET_RECALL
    print(f"  targets precision >= {TARGET_PRECISION}, recall >= {TARGET_RECALL}: "
          f"{'met' if ok else 'NOT MET'}")  # fmt: skip
    print()
    bare = [(fingerprint(no_lang(p.a)), fingerprint(no_lang(p.b))) for p in pairs]
    t = judge_all(pairs, bare, THRESHOLDS)
    translations = sum(1 for p in pairs if "translation" in p.kind)
    merged = sum(
        compare(a, b).same for p, (a, b) in zip(pairs, bare, strict=True) if "translation" in p.kind
    )
    print(f"Without declared languages (script only): precision {fmt(t.precision)}, recall "
          f"{fmt(t.recall)}; translations merged: {merged} of {translations}")  # fmt: skip
    print()
    print("Through the index:")
    through_index(pairs, prints)
    print()
    print("Threshold sweep (one bar moved at a time):")
    sweep(pairs, prints)
    print()
    print("Seed spread:")
    over_seeds(pairs, seeds)


# -- cost ----------------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?»])\s+(?=[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ«\"])")
_WORD = re.compile(r"[^\W\d_]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


class Synthetic:
    """Articles generated from the pair set's sentences, reproducibly."""

    def __init__(self, pairs: list[Pair], seed: int) -> None:
        self.rng = random.Random(seed)
        self.sentences: dict[str, list[str]] = defaultdict(list)
        self.vocabulary: dict[str, list[str]] = defaultdict(list)
        seen: set[str] = set()
        for pair in pairs:
            for text in (pair.a, pair.b):
                if not text.body or text.body in seen or not text.lang:
                    continue
                seen.add(text.body)
                for sentence in _SENTENCE.split(text.body.replace("\n\n", " ")):
                    self.sentences[text.lang].append(sentence)
                    self.vocabulary[text.lang].extend(_WORD.findall(sentence))
        self.langs = sorted(self.sentences)
        self.weights = [len(self.sentences[lang]) for lang in self.langs]
        self.recent: deque[tuple[int, str, list[str]]] = deque(maxlen=2000)
        self.words = 0

    def articles(self, n: int) -> Iterator[tuple[int, StoryText, int | None]]:
        """(id, text, id of the article it copies or None)."""
        for i in range(n):
            if self.recent and self.rng.random() < 0.1:
                source, lang, sentences = self.rng.choice(self.recent)
                kept = list(sentences)
                if len(kept) > 6:
                    kept.pop(self.rng.randrange(len(kept)))
                kept = [self.perturb(s, lang, 0.02, numbers=False) for s in kept]
                yield i, self.text(kept, lang), source
            else:
                lang = self.rng.choices(self.langs, self.weights)[0]
                pool = self.sentences[lang]
                picked = [self.rng.choice(pool) for _ in range(self.rng.randint(8, 30))]
                kept = [self.perturb(s, lang, 0.4, numbers=True) for s in picked]
                self.recent.append((i, lang, kept))
                yield i, self.text(kept, lang), None

    def perturb(self, sentence: str, lang: str, share: float, *, numbers: bool) -> str:
        vocabulary = self.vocabulary[lang]
        rng = self.rng

        def word(match: re.Match[str]) -> str:
            return rng.choice(vocabulary) if rng.random() < share else match.group(0)

        sentence = _WORD.sub(word, sentence)
        if numbers:
            sentence = _NUMBER.sub(lambda m: str(rng.randint(1, 99999)), sentence)
        return sentence

    def text(self, sentences: list[str], lang: str) -> StoryText:
        self.words += sum(len(s.split()) for s in sentences)
        paragraphs = [" ".join(sentences[j : j + 3]) for j in range(0, len(sentences), 3)]
        title = " ".join(self.rng.choice(self.vocabulary[lang]) for _ in range(8))
        return StoryText(title=title, body="\n\n".join(paragraphs), lang=lang)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Fill:
    seconds: defaultdict[str, float]
    candidates: int = 0  # LSH candidates, summed over every hundredth lookup
    copies: int = 0
    copies_found: int = 0
    false_matches: int = 0


def fill(index: StoryIndex, synthetic: Synthetic, n: int) -> Fill:
    """Fingerprint, look up and add ``n`` articles, first seen over the window up to NOW."""
    stats = Fill(defaultdict(float))
    step = index.window / n
    clock = time.perf_counter
    for i, text, source in synthetic.articles(n):
        start = clock()
        fp = fingerprint(text)
        looked = clock()
        match = index.find(fp)
        found = clock()
        index.add(i, fp, NOW - index.window + step * i)
        stats.seconds["fingerprint"] += looked - start
        stats.seconds["find"] += found - looked
        stats.seconds["add"] += clock() - found
        if i % 100 == 0:
            stats.candidates += len(index.candidates(fp)) - 1  # itself, just added
        if source is not None:
            stats.copies += 1
            stats.copies_found += match is not None and match.article_id == source
        elif match is not None:
            stats.false_matches += 1
    return stats


def cost(n: int, seed: int) -> None:
    pairs = load_pairs()
    synthetic = Synthetic(pairs, seed)
    fingerprint(pairs[0].a)  # warm the MinHash template and the regular expressions
    print(f"Cost with {n:,} synthetic articles in the window (seed {seed})")
    before = rss_mb()
    index = StoryIndex()
    stats = fill(index, synthetic, n)
    after = rss_mb()
    total = sum(stats.seconds.values())
    words = synthetic.words / n
    print(f"  articles of {words:.0f} words on average; one in ten copies a recent one")
    for name in ("fingerprint", "find", "add"):
        print(f"  {name:12} {stats.seconds[name] / n * 1000:6.3f} ms per article")
    print(f"  {'total':12} {total / n * 1000:6.3f} ms per article ({n / total:,.0f} per second)")
    print(f"  LSH candidates per lookup: {stats.candidates / len(range(0, n, 100)):.1f} on average")
    print(f"  copies found: {stats.copies_found} of {stats.copies}; other articles matched to "
          f"anything: {stats.false_matches} of {n - stats.copies}")  # fmt: skip
    print(f"  memory: resident set {before:.0f} MB before the window, {after:.0f} MB with "
          f"{len(index):,} articles in it (+{after - before:.0f} MB)")  # fmt: skip
    restart(index, n)


def restart(index: StoryIndex, n: int) -> None:
    """Rebuild from the rows a store would hold, check it answers alike, expire a day."""
    rows = list(index)
    stored = sum(len(data) for _, data, _ in rows)
    print(f"  stored fingerprints: {stored / len(rows):.0f} bytes each, "
          f"{stored / 2**20:.1f} MB for the window")  # fmt: skip
    probes = [index.fingerprint(i) for i in range(0, n, max(1, n // 1000))]
    expected = [sorted(index.candidates(fp)) for fp in probes]
    start = time.perf_counter()
    rebuilt = StoryIndex.rebuild(rows, now=NOW)
    seconds = time.perf_counter() - start
    alike = sum(
        sorted(rebuilt.candidates(fp)) == want for fp, want in zip(probes, expected, strict=True)
    )
    print(f"  rebuild from stored bytes: {seconds:.2f} s for {len(rebuilt):,} articles "
          f"({seconds / len(rows) * 1e6:.0f} µs each); same candidates for {alike} of "
          f"{len(probes)} probes")  # fmt: skip
    start = time.perf_counter()
    gone = rebuilt.expire(NOW + timedelta(days=1))
    seconds = time.perf_counter() - start
    print(f"  expire one day: {len(gone):,} articles in {seconds:.2f} s; {len(rebuilt):,} left")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, default=20, help="permutation seeds for the spread")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic articles")
    parser.add_argument("--skip-cost", action="store_true")
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, numpy {numpy.__version__}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    print()
    quality(args.seeds)
    if not args.skip_cost:
        print()
        cost(args.articles, args.seed)


if __name__ == "__main__":
    main()
