#!/usr/bin/env python3
"""Matching cost: 1,000 watches with aliases against ~800-word articles, microseconds per article
for the ``Matcher`` (key index, shared terms, one-word terms decided from the article's set of
words) and for a naive loop that runs each watch's compiled expressions over the fields
(``CompiledQuery.match``, what ``match()`` does), one watch after another.

Watches are generated with a fixed seed in a dozen query shapes ("{e} AND ({w} OR {w2})",
'title:{e} OR "{p}"', "keyword:{e} OR body:{w}", ...) from entity names (any name of an
entity, so each term expands to the whole entity with its inflections), words and two-word
phrases, in three mixes:

- quiet: 200 invented entities (a surname, another transliteration, a Cyrillic spelling, a
  full name) and invented words: nothing matches, which shows the fixed cost per article;
- typical: the starter set's 14 entities among the 200 invented ones, seven words and phrases
  in ten taken from the test articles: about one watch in ten matches each article;
- dense: the 14 entities of the starter set only, which every test article is about: four
  watches in ten match each article, and each match needs its hits and snippets.

The articles are the golden bodies of tests/data/pages and the texts of tests/data/keywords,
joined by language into articles of about 800 words (the pieces are 40-340 words). The
matcher's time includes preparing the article (normalising, folding, its sets of words and
word prefixes); the naive loop gets it prepared. Times are CPU time, the fastest of
``--repeat`` runs per article (of a tenth as many for the slow naive loop): other work on the
machine only ever adds time. The cost of an empty Python call is printed to compare machines.
Matcher and naive loop must agree on every watch of every article, or the benchmark stops.

    python tests/benchmarks/bench_match.py                  # 1,000 watches, 30 runs
    python tests/benchmarks/bench_match.py --watches 5000 --repeat 10

Not part of the test suite (it measures time); tests/test_match.py checks on generated queries
and documents that the matcher and the naive evaluation agree.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from ingester.match import AliasSet, Document, Hit, Matcher, compile_query  # noqa: E402
from ingester.match.document import prepare  # noqa: E402

DATA = REPO / "tests" / "data"
TARGET_WORDS = 800
SHAPES = (
    "{e}",
    "{e} {e2}",
    "{e} AND ({w} OR {w2})",
    'title:{e} OR "{p}"',
    "{e} NOT {w}",
    '"{p}" AND lang:{lang}',
    "{w} {w2}",
    "keyword:{e} OR body:{w}",
    '"{acronym}" AND {e}',
    "({e} OR {e2}) AND NOT tag:sport",
    "{w} OR {w2} OR {w3}",
    'feed:{feed} AND ("{p}" OR {e})',
)


Piece = tuple[str, str, str, tuple[str, ...]]  # language, title, body, keywords


def corpus() -> list[Piece]:
    """Every test article; a page's title is the start of its first paragraph."""
    pieces: list[Piece] = []
    for path in sorted((DATA / "pages").glob("*.expected.txt")):
        body = path.read_text(encoding="utf-8")
        lang = "kk" if "_kk_" in path.name else "ru" if "_ru_" in path.name else "en"
        pieces.append((lang, body.split("\n", 1)[0][:90], body, ()))
    for path in sorted((DATA / "keywords").glob("*.txt")):
        title, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        spec = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
        names = tuple(str(entity["text"]) for entity in spec["entities"])
        pieces.append((spec["lang"], title.strip(), body.strip(), names))
    return pieces


def articles() -> list[Document]:
    """The corpus joined by language into articles of about ``TARGET_WORDS`` words."""
    by_lang: dict[str, list[Piece]] = {}
    for piece in corpus():
        by_lang.setdefault(piece[0], []).append(piece)
    docs = []
    for lang, pieces in sorted(by_lang.items()):
        pieces = pieces * (1 + TARGET_WORDS * 2 // sum(len(p[2].split()) for p in pieces))
        group: list[Piece] = []
        for piece in pieces:
            group.append(piece)
            if sum(len(p[2].split()) for p in group) >= TARGET_WORDS:
                docs.append(_document(lang, group))
                group = []
    return docs


def _document(lang: str, group: list[Piece]) -> Document:
    return Document(
        title=group[0][1],
        body="\n\n".join(piece[2] for piece in group),
        feeds=("Azattyq", "RFE/RL Kazakh Service"),
        tags=("central-asia", "politics"),
        lang=lang,
        keywords=tuple(dict.fromkeys(name for piece in group for name in piece[3])),
    )


_SYLLABLES = ("ba", "ker", "sa", "tu", "mar", "zhan", "ol", "bek", "na", "ri", "dos", "ta", "ly")
_CYRILLIC = dict(zip("abdegiklmnorstuvyz", "абдегиклмнорстувыз", strict=True))


def synthetic_entities(count: int, rng: random.Random) -> dict[str, list[str]]:
    """Entities that no test article mentions, shaped like the real ones: a surname, another
    transliteration, the Cyrillic spelling (which inflects), a full name."""
    entities: dict[str, list[str]] = {}
    while len(entities) < count:
        stem = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
        name = (stem + rng.choice(("ov", "ev", "stan", "ia", "sk"))).capitalize()
        given = "".join(rng.choice(_SYLLABLES) for _ in range(2)).capitalize()
        cyrillic = name.lower().replace("zh", "ж")
        cyrillic = "".join(_CYRILLIC.get(char, char) for char in cyrillic).capitalize()
        entities[name] = [name.replace("ov", "ow").replace("k", "q"), cyrillic, f"{given} {name}"]
    return entities


def watches(count: int, aliases: AliasSet, *, seen: float = 0.7, seed: int = 4) -> dict[str, str]:
    """``count`` watches over the entities of ``aliases`` (an entity is picked uniformly, then
    one of its names, so a set with many entities that no article mentions matches less), and
    words and phrases, ``seen`` of them drawn from the articles and the rest invented."""
    rng = random.Random(seed)
    entities = [entity.variants for entity in aliases]
    acronyms = [name for names in entities for name in names if name.isupper()] or ["QXZW"]
    words: list[str] = sorted(
        {
            word
            for _, _, body, _ in corpus()
            for word in re.findall(r"[^\W\d_]{4,}", body)
            if word not in ("AND", "NOT")
        }
    )
    sentences = [s.split() for _, _, body, _ in corpus() for s in re.split(r"[.!?\n]", body)]
    phrases = [" ".join(s[i : i + 2]) for s in sentences for i in range(len(s) - 1)]
    phrases = [p for p in phrases if re.fullmatch(r"[^\W\d_]+ [^\W\d_]+", p)]

    def invented() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 9)))

    def word() -> str:
        return rng.choice(words) if rng.random() < seen else invented()

    def phrase() -> str:
        return rng.choice(phrases) if rng.random() < seen else f"{invented()} {invented()}"

    def entity() -> str:
        name = rng.choice(rng.choice(entities))
        return f"({name})" if " " in name else name

    made = {}
    for number in range(count):
        shape = SHAPES[number % len(SHAPES)]
        made[f"watch-{number}"] = shape.format(
            e=entity(),
            e2=entity(),
            w=word(),
            w2=word(),
            w3=word(),
            p=phrase(),
            lang=rng.choice(("en", "ru", "kk")),
            acronym=rng.choice(acronyms),
            feed=rng.choice(("azattyq", "rfe", "reuters")),
        )
    return made


def fastest(run: Callable[[], None], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best


def bench(
    name: str, queries: dict[str, str], aliases: AliasSet, repeat: int, docs: list[Document]
) -> None:
    started = time.process_time()
    matcher = Matcher(queries, aliases)
    built = time.process_time() - started
    compiled = {name: compile_query(text, aliases) for name, text in queries.items()}

    def naive(doc: Document) -> dict[str, list[Hit]]:
        found = {}
        for name, query in compiled.items():
            hits = query.match(doc)
            if hits is not None:
                found[name] = hits
        return found

    fast_times, naive_times, matched = [], [], []
    for doc in docs:
        expected = naive(doc)
        got = matcher.match(doc)
        if got != expected:
            raise SystemExit(f"{name}: matcher and naive loop disagree on {doc.title!r}")
        matched.append(len(got))

        def fast(doc: Document = doc) -> None:
            prepare.cache_clear()
            matcher.match(doc)

        def slow(doc: Document = doc) -> None:
            naive(doc)

        fast_times.append(fastest(fast, repeat))
        prepare(doc)
        naive_times.append(fastest(slow, max(1, repeat // 10)))

    fast_us = statistics.mean(fast_times) * 1e6
    naive_us = statistics.mean(naive_times) * 1e6
    print(f"{name}: {len(queries)} watches over {len(aliases)} entities, compiled in "
          f"{built:.2f} s; {statistics.mean(matched):.0f} watches match per article "
          f"({statistics.mean(matched) / len(queries):.0%})")  # fmt: skip
    slowest = max(fast_times) * 1e6, max(naive_times) * 1e6
    print(f"  matcher     {fast_us:8.0f} us/article  (slowest article {slowest[0]:.0f})")
    print(f"  naive loop  {naive_us:8.0f} us/article  (slowest article {slowest[1]:.0f})")
    print(f"  ratio       {naive_us / fast_us:8.1f} x")


def calibration() -> float:
    """Nanoseconds per call of an empty Python function: how fast this machine runs Python."""

    def nothing(x: int) -> int:
        return x

    def calls() -> None:
        for i in range(200_000):
            nothing(i)

    return fastest(calls, 5) / 200_000 * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--entities", type=int, default=200, help="synthetic entities added")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    docs = articles()
    words = statistics.mean(len(f"{d.title} {d.body}".split()) for d in docs)
    print(f"{len(docs)} articles of {words:.0f} words on average; CPU time, fastest of "
          f"{args.repeat} runs; a Python call costs {calibration():.0f} ns here")  # fmt: skip
    synthetic = synthetic_entities(args.entities, random.Random(7))
    starter = AliasSet.starter()
    unknown, extended = AliasSet(synthetic), starter.extend(synthetic)
    bench("quiet", watches(args.watches, unknown, seen=0), unknown, args.repeat, docs)
    bench("typical", watches(args.watches, extended), extended, args.repeat, docs)
    bench("dense", watches(args.watches, starter), starter, args.repeat, docs)


if __name__ == "__main__":
    main()
