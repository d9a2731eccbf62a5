"""Tests of ``ingester.story``: normalisation, fingerprints, the same-story judgement, the
window index (expiry, capacity, rebuild from stored bytes) and, as the quality guard,
precision and recall over the labelled pairs of ``tests/data/stories``.

The stage is pure: every test works on plain strings and values, with the fixed clock.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FixedClock

from ingester.story import (
    FORMAT_VERSION,
    Fingerprint,
    Reason,
    Relation,
    StoryIndex,
    StoryMatch,
    StoryText,
    compare,
    fingerprint,
    relation,
    same_story,
)
from ingester.story.text import names, numbers, script, shingles, strip_furniture, words

PAIRS = Path(__file__).parent / "data" / "stories" / "pairs.jsonl"
TARGET_PRECISION, TARGET_RECALL = 0.95, 0.90


def load_pairs() -> list[dict[str, Any]]:
    return [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]


def story(side: dict[str, Any]) -> StoryText:
    return StoryText(side["title"], side.get("summary", ""), side["body"], side["lang"])


def pair_texts(pair_id: str) -> tuple[StoryText, StoryText]:
    pair = next(p for p in load_pairs() if p["id"] == pair_id)
    return story(pair["a"]), story(pair["b"])


def four_stories() -> list[StoryText]:
    """Four articles that are four different stories."""
    ids = (
        "csto-drills/copy",
        "cpc/tengiz-same-day",
        "glaciers/short-agency-version",
        "air/reissue-title-and-spelling",
    )
    return [pair_texts(pair_id)[i % 2] for i, pair_id in enumerate(ids)]


# -- text --------------------------------------------------------------------------------


def test_words_are_normalised() -> None:
    assert words("The U.S. pledged $2,500 — 16,5% per cent; Tokayev's «ёлка»") == [
        "the", "us", "pledged", "2500", "16.5", "percent", "percent", "tokayev", "елка",
    ]  # fmt: skip
    assert words("эвакуированы 1 240 человек") == ["эвакуированы", "1240", "человек"]
    # A four-digit number is not a thousands group of the next one.
    assert words("in 2024 100 people") == ["in", "2024", "100", "people"]


def test_datelines_and_wire_credits_are_furniture() -> None:
    body = (
        "BISHKEK, Aug 13 (Kabar) — Drills begin.\n\nMore text here.\n\n"
        "With reporting by TASS and Sputnik Kyrgyzstan."
    )
    assert strip_furniture(body) == "Drills begin.\nMore text here."
    assert strip_furniture("АСТАНА, 17 ноября. Президент подписал закон.") == (
        "Президент подписал закон."
    )
    assert strip_furniture("ALMATY — Text.\n\n(Corrects volume to 186.3 million)") == "Text."
    # A long last paragraph that happens to start like a credit stays.
    long_tail = "Updates " + "word " * 60
    assert strip_furniture("Text.\n\n" + long_tail).endswith(long_tail.strip())


def test_shingles_numbers_names() -> None:
    assert shingles(["a", "b", "c", "d"], 3) == {"a b c", "b c d"}
    assert shingles(["a", "b"], 3) == {"a b"}
    assert shingles([], 3) == set()
    assert numbers(words("rose 12.9% from 12,2% in 2024")) == {"12.9", "12.2", "2024"}
    found = names("Traffic on the Astana–Karaganda highway closed, Kazavtozhol said. Drivers wait.")
    assert found == {"astana", "karaganda", "kazavtozhol"}


def test_script_tells_russian_from_kazakh_and_latin() -> None:
    assert script("Президент Казахстана подписал указ о назначении") == "cyrillic"
    assert script("Мемлекет басшысы Қасым-Жомарт Тоқаев заңға қол қойды") == "cyrillic-ext"
    assert script("The president signed the decree") == "latin"
    assert script("中国国家主席习近平抵达阿斯塔纳") == "han"
    assert script("2024 — 100") == ""


# -- fingerprints ------------------------------------------------------------------------


def test_fingerprint_is_deterministic_and_pinned() -> None:
    """If this value changes, signatures of stored articles no longer compare with new ones:
    bump FORMAT_VERSION (so stored bytes are recomputed) and update the value here."""
    text, _ = pair_texts("csto-drills/copy")
    first, second = fingerprint(text), fingerprint(replace(text))
    assert first == second
    assert first.to_bytes() == second.to_bytes()
    assert FORMAT_VERSION == 1
    assert zlib.crc32(first.signature) == 0x55EC9C6E


def test_signatures_are_datasketchs() -> None:
    """The MinHash is computed without datasketch (whose import brings scipy); its values must
    stay the ones datasketch's MinHash gives for the same shingles, permutations and hash."""
    datasketch = pytest.importorskip("datasketch")
    from ingester.story.sketch import NUM_PERM, SEED, _signature

    texts = [story(side) for pair in load_pairs() for side in (pair["a"], pair["b"])]
    shingle_sets = [shingles(words(t.title + "\n" + t.body), 3) for t in texts]
    shingle_sets += [set(), {"one"}]
    for units in shingle_sets:
        reference = datasketch.MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=zlib.crc32)
        reference.update_batch([unit.encode("utf-8") for unit in units])
        assert _signature(units) == reference.hashvalues.astype("<u4").tobytes()


def test_fingerprint_bytes_round_trip() -> None:
    for side in pair_texts("short/kk-copy") + pair_texts("ai-law/en-ru"):
        fp = fingerprint(side)
        assert Fingerprint.from_bytes(fp.to_bytes()) == fp
    data = fingerprint(pair_texts("csto-drills/copy")[0]).to_bytes()
    with pytest.raises(ValueError, match="format"):
        Fingerprint.from_bytes(bytes([FORMAT_VERSION + 1]) + data[1:])
    with pytest.raises(ValueError):
        Fingerprint.from_bytes(data[:-3])


def test_short_items_use_title_and_summary() -> None:
    fp = fingerprint(StoryText("Tenge ends week at 512.40", "The tenge closed at 512.40.", ""))
    assert fp.short
    full, _ = pair_texts("csto-drills/copy")
    assert not fingerprint(full).short


def test_empty_texts_are_never_one_story() -> None:
    empty = fingerprint(StoryText())
    assert empty.size == 0
    assert compare(empty, empty).reason is Reason.EMPTY


# -- the judgement -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "pair_id",
    [
        "csto-drills/copy",  # new headline, local intro, two paragraphs dropped, house style
        "metro/trimmed-to-half",
        "flood-ru/update-new-figures",  # figures updated: numbers differ, text does not
        "short/snow-closure-copy",
    ],
)
def test_copies_and_reissues_are_one_story(pair_id: str) -> None:
    a, b = pair_texts(pair_id)
    verdict = compare(fingerprint(a), fingerprint(b))
    assert verdict.same, verdict


@pytest.mark.parametrize(
    ("pair_id", "reason"),
    [
        ("csto-drills/other-statement", Reason.BELOW),  # shares the boilerplate paragraph
        ("cpi/next-month-same-template", Reason.NUMBERS),
        ("short/snow-closure-other-road", Reason.NAMES),
        ("short/tenge-other-week", Reason.NUMBERS),
    ],
)
def test_same_topic_different_stories_are_apart(pair_id: str, reason: Reason) -> None:
    a, b = pair_texts(pair_id)
    verdict = compare(fingerprint(a), fingerprint(b))
    assert not verdict.same
    assert verdict.reason is reason


@pytest.mark.parametrize("pair_id", ["csto-drills/en-ru", "csto-drills/ru-kk", "short/kk-ru"])
def test_translations_never_merge_with_or_without_declared_languages(pair_id: str) -> None:
    a, b = pair_texts(pair_id)
    assert compare(fingerprint(a), fingerprint(b)).reason is Reason.LANGUAGE
    bare_a, bare_b = replace(a, lang=None), replace(b, lang=None)
    assert not same_story(fingerprint(bare_a), fingerprint(bare_b))


def test_a_declared_language_overrides_a_matching_text() -> None:
    text, _ = pair_texts("csto-drills/copy")
    assert not same_story(fingerprint(text), fingerprint(replace(text, lang="ky")))


# -- the index ---------------------------------------------------------------------------


def test_a_copy_is_a_candidate_and_found(clock: FixedClock) -> None:
    wire, copy = pair_texts("csto-drills/copy")
    other, _ = pair_texts("cpc/tengiz-same-day")
    index = StoryIndex()
    index.add(1, fingerprint(wire), clock())
    index.add(2, fingerprint(other), clock())
    assert 1 in index.candidates(fingerprint(copy))
    match = index.find(fingerprint(copy))
    assert match is not None and match.article_id == 1
    assert index.find(fingerprint(wire), exclude=1) is None


def test_a_different_same_topic_story_is_not_found(clock: FixedClock) -> None:
    drills, statement = pair_texts("csto-drills/other-statement")
    index = StoryIndex()
    index.add(1, fingerprint(drills), clock())
    assert index.find(fingerprint(statement)) is None


def test_relation_tells_a_copy_from_an_update() -> None:
    match = StoryMatch(7, compare(fingerprint(StoryText("a b c")), fingerprint(StoryText("a b c"))))
    assert relation(None, same_feed=True) is Relation.NEW
    assert relation(match, same_feed=False) is Relation.COPY
    assert relation(match, same_feed=True) is Relation.UPDATE


def test_old_articles_expire(clock: FixedClock) -> None:
    index = StoryIndex(window=timedelta(days=7))
    texts = four_stories()
    for day, text in enumerate(texts):  # first seen on days 0, 1, 2, 3
        index.add(day, fingerprint(text), clock() + timedelta(days=day))
    assert index.expire(clock() + timedelta(days=8, hours=1)) == [0, 1]
    assert sorted(article for article, _, _ in index) == [2, 3]
    assert index.find(fingerprint(texts[0])) is None
    assert index.find(fingerprint(texts[3])) is not None
    assert index.expire(clock() + timedelta(days=8, hours=2)) == []


def test_capacity_drops_the_oldest_and_readding_replaces(clock: FixedClock) -> None:
    index = StoryIndex(capacity=2)
    texts = four_stories()
    index.add(1, fingerprint(texts[0]), clock())
    index.add(2, fingerprint(texts[1]), clock() + timedelta(hours=1))
    index.add(1, fingerprint(texts[0]), clock() + timedelta(hours=2))  # seen again: replaced
    index.add(3, fingerprint(texts[2]), clock() + timedelta(hours=3))
    assert sorted(article for article, _, _ in index) == [1, 3]
    index.remove(1)
    index.remove(1)  # forgetting twice is harmless
    assert len(index) == 1 and 1 not in index


def test_bucket_merges_and_removals_find_what_a_plain_scan_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Band entries move from the waiting dictionary into the sorted arrays in many small
    merges, and removed articles are filtered, then compacted away: at every step a query
    must give exactly the articles that share a band, as a scan of every article would."""
    np = pytest.importorskip("numpy")
    from ingester.story import index as index_module

    monkeypatch.setattr(index_module, "MERGE_AT", 64)  # a merge every few articles
    buckets = index_module._Buckets(index_module.BANDS, index_module.ROWS)
    rng = np.random.default_rng(7)
    # Few distinct values per row, so that bands collide often.
    signatures = {
        article: rng.integers(0, 3, size=index_module.NUM_PERM).astype(np.uint32)
        for article in range(600)
    }
    keys = {article: buckets.keys(sig) for article, sig in signatures.items()}
    live: set[int] = set()
    for article in range(600):
        buckets.add(article, keys[article])
        live.add(article)
        if article % 7 == 3:  # forget an earlier one now and then
            gone = article - 3
            buckets.remove(gone)
            live.discard(gone)
        if article % 50 == 49:
            probe = keys[int(rng.integers(0, article + 1))]
            expected = {a for a in live if np.any(keys[a] == probe)}
            assert buckets.query(probe) == expected


def test_rebuild_from_stored_bytes_gives_the_same_answers(clock: FixedClock) -> None:
    pairs = load_pairs()
    index = StoryIndex()
    for i, pair in enumerate(pairs):
        index.add(i, fingerprint(story(pair["a"])), clock() - timedelta(hours=i))
    rows = [(article, bytes(data), seen) for article, data, seen in index]
    rebuilt = StoryIndex.rebuild(rows, now=clock() + timedelta(days=7, hours=-100))
    assert len(rebuilt) == 101  # first seen 0-100 hours ago; the rest before the window
    kept = {article for article, _, _ in rebuilt}
    for pair in pairs:
        fp = fingerprint(story(pair["b"]))
        assert set(rebuilt.candidates(fp)) == set(index.candidates(fp)) & kept
        expected = index.find(fp)
        if expected is not None and expected.article_id in kept:
            assert rebuilt.find(fp) == expected


def test_rebuild_refuses_bytes_of_another_format(clock: FixedClock) -> None:
    data = fingerprint(StoryText("a b c d")).to_bytes()
    with pytest.raises(ValueError, match="format"):
        StoryIndex.rebuild([(1, b"\x00" + data[1:], clock())], now=clock())


def test_first_seen_must_be_aware(clock: FixedClock) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        StoryIndex().add(1, fingerprint(StoryText("a b c")), clock().replace(tzinfo=None))


# -- quality guard -----------------------------------------------------------------------


def test_the_pair_set_is_what_its_readme_says() -> None:
    pairs = load_pairs()
    assert len(pairs) >= 120
    assert len({p["id"] for p in pairs}) == len(pairs)
    kinds = {p["kind"] for p in pairs}
    assert {"copy", "reissue", "same_topic", "translation", "short_copy"} <= kinds
    for pair in pairs:
        assert pair["same"] == (pair["kind"] in {"copy", "reissue", "short_copy", "short_reissue"})


def test_precision_and_recall_on_the_labelled_pairs_meet_the_targets(clock: FixedClock) -> None:
    """Judged directly, and through the index (LSH candidates, then compare)."""
    pairs = load_pairs()
    prints = [(fingerprint(story(p["a"])), fingerprint(story(p["b"]))) for p in pairs]
    said = [compare(a, b).same for a, b in prints]
    index = StoryIndex()
    for i, (a, _) in enumerate(prints):
        index.add(i, a, clock())
    through = [i in index.candidates(b) and same_story(a, b) for i, (a, b) in enumerate(prints)]
    for verdicts in (said, through):
        truth = [p["same"] for p in pairs]
        tp = sum(t and s for t, s in zip(truth, verdicts, strict=True))
        fp = sum(s and not t for t, s in zip(truth, verdicts, strict=True))
        fn = sum(t and not s for t, s in zip(truth, verdicts, strict=True))
        assert tp / (tp + fp) >= TARGET_PRECISION
        assert tp / (tp + fn) >= TARGET_RECALL


def test_capped_name_samples_are_compared_only_where_both_are_sampled() -> None:
    base = fingerprint(StoryText("Tenge ends week", "The tenge closed on Friday at the exchange."))
    capped = frozenset(range(1000, 1640, 10))  # a long body's 64 smallest name hashes
    body = replace(base, names=capped)
    beyond = replace(base, names=frozenset({1000, 1010, 2_000_000}))  # last: not sampled in body
    assert same_story(body, beyond)
    absent = replace(base, names=frozenset({1000, 1015}))  # 1015 would have been sampled
    assert compare(body, absent).reason is Reason.NAMES
