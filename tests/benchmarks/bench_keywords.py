#!/usr/bin/env python3
"""Keyword benchmark: recall@10 of hand-listed key entities, and speed, on tests/data/keywords.

Each NAME.txt there is an article (first line the title, a blank line, the body) and
NAME.expected.json lists the entities a reader would name. An expected entity is found when its
text or one of its aliases equals the text or an alias of one of the first 10 keywords
(acronyms in capitals must match exactly, other names regardless of case). Prints per article
the recall, the kinds that came out right among those found, and the detected language, then
the means, and the time per article and per 1,000 words (language detection included, models
loaded beforehand; the first call in a process pays about 1 s for that), for one 1,000-word
article, and for Russian with pymorphy3's word cache emptied (a worker's first articles).
Times are the fastest of the runs: other work on the machine only ever adds time.

    python tests/benchmarks/bench_keywords.py            # summary
    python tests/benchmarks/bench_keywords.py -v         # also the keywords and what was missed
    python tests/benchmarks/bench_keywords.py --repeat 50

Not part of the test suite; tests/test_keywords.py holds a recall floor below these figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from ingester.keywords import detect_language, keywords  # noqa: E402
from ingester.models import Keyword  # noqa: E402

DATA = REPO / "tests" / "data" / "keywords"
TOP = 10


@dataclass(frozen=True)
class Article:
    name: str
    title: str
    body: str
    lang: str
    expected: list[dict[str, object]]

    @property
    def words(self) -> int:
        return len(f"{self.title} {self.body}".split())


def load_articles(folder: Path = DATA) -> list[Article]:
    articles = []
    for path in sorted(folder.glob("*.txt")):
        title, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        spec = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
        articles.append(
            Article(path.stem, title.strip(), body.strip(), spec["lang"], spec["entities"])
        )
    return articles


def same_name(a: str, b: str) -> bool:
    """Acronyms (all capitals) match exactly, other names regardless of case."""
    if a.isupper() or b.isupper():
        return a == b
    return a.casefold() == b.casefold()


def names(item: dict[str, object]) -> list[str]:
    aliases = item.get("aliases") or []
    assert isinstance(aliases, list)
    return [str(item["text"]), *map(str, aliases)]


def find(item: dict[str, object], found: tuple[Keyword, ...]) -> Keyword | None:
    for keyword in found[:TOP]:
        for name in (keyword.text, *keyword.aliases):
            if any(same_name(name, wanted) for wanted in names(item)):
                return keyword
    return None


def score(article: Article, found: tuple[Keyword, ...]) -> tuple[float, float, list[str]]:
    """Recall@10, share of right kinds among the found, and the names missed."""
    hits = [(item, find(item, found)) for item in article.expected]
    matched = [(item, kw) for item, kw in hits if kw is not None]
    missed = [str(item["text"]) for item, kw in hits if kw is None]
    recall = len(matched) / len(article.expected)
    kinds = sum(kw.kind == item["kind"] for item, kw in matched) / len(matched) if matched else 0
    return recall, kinds, missed


def run(article: Article) -> tuple[str | None, tuple[Keyword, ...]]:
    lang = detect_language(f"{article.title}\n{article.body}")
    return lang, keywords(article.title, article.body, lang)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per article")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    articles = load_articles()
    started = time.perf_counter()
    run(articles[0])
    keywords("Токаев", "Токаева назначили.", "ru")  # load both models before timing
    cold = time.perf_counter() - started

    recalls, kinds, times, per_kword = [], [], [], []
    print(f"{'article':34} {'lang':>9} {'recall@10':>9} {'kinds':>6} {'ms':>6}  missed")
    for article in articles:
        lang, found = run(article)
        recall, kind_share, missed = score(article, found)
        samples = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            run(article)
            samples.append(time.perf_counter() - t0)
        ms = min(samples) * 1000
        recalls.append(recall)
        kinds.append(kind_share)
        times.append(ms)
        per_kword.append(ms * 1000 / article.words)
        lang_note = f"{lang}" + ("" if lang == article.lang else f"!={article.lang}")
        print(
            f"{article.name:34} {lang_note:>9} {recall:9.2f} {kind_share:6.2f} {ms:6.2f}  "
            f"{', '.join(missed)}"
        )
        if args.verbose:
            for kw in found[: TOP + 5]:
                print(
                    f"    {kw.score:.3f} {kw.kind:13} {kw.text}"
                    + (f"  {list(kw.aliases)}" if kw.aliases else "")
                )
    print(
        f"\nmean recall@{TOP}: {statistics.mean(recalls):.3f} over {len(articles)} articles; "
        f"kinds right among found: {statistics.mean(kinds):.3f}"
    )
    print(
        f"time: {statistics.mean(times):.2f} ms per article (fastest of {args.repeat} runs, "
        f"mean over articles), {statistics.mean(per_kword):.2f} ms per 1,000 words; "
        f"model loading {cold:.2f} s once per process"
    )
    for lang in ("en", "ru"):
        ms = long_article(articles, lang, args.repeat)
        print(f"one 1,000-word {lang} article: {ms:.2f} ms (fastest of {args.repeat} runs)")
    cold_ms = cold_cache(articles)
    print(f"Russian articles with an empty morphology cache: {cold_ms:.2f} ms per 1,000 words")


def long_article(articles: list[Article], lang: str, repeat: int) -> float:
    """The evaluation articles of one language run together and cut at 1,000 words."""
    paragraphs = [p for a in articles if a.lang == lang for p in a.body.split("\n\n")]
    words: list[str] = []
    text = []
    for paragraph in paragraphs:
        if len(words) >= 1000:
            break
        take = paragraph.split()[: 1000 - len(words)]
        words += take
        text.append(" ".join(take))
    title, body = articles[0].title, "\n\n".join(text)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        keywords(title, body, detect_language(body))
        samples.append(time.perf_counter() - t0)
    return min(samples) * 1000


def cold_cache(articles: list[Article]) -> float:
    """The worst case for Russian: every word form new to the process's pymorphy3 cache."""
    from ingester.keywords import russian as module

    russian = [a for a in articles if a.lang == "ru"]
    total = 0.0
    for article in russian:
        module._ru_word.cache_clear()
        t0 = time.perf_counter()
        keywords(article.title, article.body, "ru")
        total += (time.perf_counter() - t0) * 1000 * 1000 / article.words
    return total / max(len(russian), 1)


if __name__ == "__main__":
    main()
