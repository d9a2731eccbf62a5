"""The match stage: the query language, entities with aliases and inflections, hits, and a
matcher for many watches that must agree with evaluating each watch on its own."""

from __future__ import annotations

import ast
import random
import sys
from pathlib import Path

import pytest

from ingester.errors import QueryError
from ingester.match import (
    AliasSet,
    And,
    Document,
    Hit,
    Matcher,
    Not,
    Or,
    Term,
    compile_query,
    keyword_texts,
    match,
    parse_query,
)
from ingester.models import Keyword

DATA = Path(__file__).parent / "data"
SEED_TITLE = "Russia-Led CSTO Troops Begin Withdrawal From Kazakhstan"
SEED_BODY = (
    "NUR-SULTAN -- Troops from the Russia-led Collective Security Treaty Organization (CSTO) "
    "have begun to withdraw from Kazakhstan after being called in to help stabilize the Central "
    "Asian nation following deadly unrest sparked by a fuel price hike amid an apparent standoff "
    "with loyalists of former President Nursultan Nazarbaev.\n"
    "Toqaev also fired the head of the country's National Security Committee (KNB), longtime "
    "Nazarbaev ally Karim Masimov, and then had him arrested on a charge of high treason.\n"
    "Read more: https://www.rferl.org/a/kazakhstan-csto-withdrawal-toqaev/31650000.html"
)


def body(text: str) -> Document:
    return Document(body=text)


def matches(query: str, doc: Document) -> bool:
    return match(query, doc) is not None


# The parser --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("a OR b c", "(a OR (b AND c))"),
        ("a b OR c", "((a AND b) OR c)"),
        ("NOT a b", "(NOT a AND b)"),
        ("a OR NOT b AND c", "(a OR (NOT b AND c))"),
        ("NOT (a OR b)", "NOT (a OR b)"),
        ("NOT NOT a", "NOT NOT a"),
        ("(a OR b) c", "((a OR b) AND c)"),
        ("a AND b AND c OR d", "((a AND b AND c) OR d)"),
        ("((a))", "a"),
        ('"fuel prices" OR "CSTO"', '("fuel prices" OR "CSTO")'),
        ("title:CSTO Kazakhstan", "(title:CSTO AND Kazakhstan)"),
        ("title:(CSTO OR ОДКБ) lang:ru", "((title:CSTO OR title:ОДКБ) AND lang:ru)"),
        ("title:(a OR title:b)", "(title:a OR title:b)"),
        ('tag:"central asia" NOT feed:sport', '(tag:"central asia" AND NOT feed:sport)'),
    ],
)
def test_precedence_is_not_then_and_then_or(query: str, tree: str) -> None:
    assert str(parse_query(query)) == tree


def test_adjacent_terms_are_joined_by_and() -> None:
    assert parse_query("CSTO Kazakhstan").root == parse_query("CSTO AND Kazakhstan").root
    assert parse_query("CSTO Kazakhstan").root == And((Term("CSTO"), Term("Kazakhstan")))


def test_terms_carry_their_scope_quotes_and_place() -> None:
    query = parse_query('title:("CSTO" OR ОДКБ) NOT «Ресей»')
    assert query.root == And(
        (
            Or((Term("CSTO", True, "title"), Term("ОДКБ", False, "title"))),
            Not(Term("Ресей", True)),
        )
    )
    first = query.terms()[0]
    assert query.text[first.start : first.end] == '"CSTO"'


def test_typographic_quotes_and_edge_punctuation() -> None:
    assert parse_query("“fuel  prices”").root == Term("fuel prices", True)
    assert parse_query("Kazakhstan,").root == Term("Kazakhstan")
    assert parse_query("U.S.").root == Term("U.S")
    assert parse_query("TITLE:csto").root == Term("csto", False, "title")
    assert parse_query("title: csto").root == Term("csto", False, "title")


@pytest.mark.parametrize(
    ("query", "problem", "at"),
    [
        ("title:(CSTO AND", "unclosed parenthesis at 6", 6),
        ("(a OR (b", "unclosed parenthesis at 6", 6),
        ("CSTO AND", "expected a term after AND at 5", 5),
        ("a OR OR b", "unexpected OR at 5: expected a term", 5),
        ("AND a", "unexpected AND at 0: expected a term", 0),
        ("NOT", "expected a term after NOT at 0", 0),
        ('"CSTO', "unclosed quote at 0", 0),
        ('a ""', "empty quotes at 2", 2),
        ("a ) b", "unmatched ')' at 2", 2),
        ("()", "unexpected ')' at 1: expected a term", 1),
        ("foo:bar", "unknown field foo: at 0", 0),
        ("a and b", "lower-case 'and' at 2: write AND for the operator", 2),
        ("x not y", "lower-case 'not' at 2", 2),
        ("title:(body:x)", "body: at 7 inside title: at 0", 7),
        ("title:", "expected a term after title: at 0", 0),
        ("title:NOT x", "expected a term or '(' after title: at 0, found NOT", 6),
        ("lang:russian", "lang: takes a language code such as en or ru, not 'russian'", 5),
        ("CSTO — x", "'—' at 5 has no letters or digits", 5),
        ("a ”b", "unexpected ” at 2", 2),
        ("", "empty query", 0),
        ("   ", "empty query", 0),
    ],
)
def test_a_bad_query_says_where(query: str, problem: str, at: int) -> None:
    with pytest.raises(QueryError) as raised:
        parse_query(query)
    error = raised.value
    assert error.query == query
    assert problem in error.problem
    message = str(error)
    assert message.startswith(f"bad query {query!r}: ")
    query_line, caret_line = message.split("\n")[-2:]
    assert query_line == "    " + query
    assert caret_line == "    " + " " * at + "^"


def test_the_example_error_of_the_brief() -> None:
    with pytest.raises(QueryError) as raised:
        parse_query("title:(CSTO AND")
    assert str(raised.value) == (
        "bad query 'title:(CSTO AND': unclosed parenthesis at 6\n    title:(CSTO AND\n          ^"
    )


# Entities and aliases ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "variants"),
    [
        ("Kazakhstan", ["Казахстан", "Қазақстан", "Qazaqstan"]),
        (
            "CSTO",
            [
                "ОДКБ",
                "Collective Security Treaty Organization",
                "Организация Договора о коллективной безопасности",
            ],
        ),
        (
            "Tokayev",
            ["Toqaev", "Токаев", "Тоқаев", "Qasym-Zhomart Toqaev", "Kassym-Jomart Tokayev"],
        ),
        ("Nazarbayev", ["Nazarbaev", "Назарбаев"]),
        ("KNB", ["National Security Committee", "КНБ", "Комитет национальной безопасности"]),
        ("Almaty", ["Алматы"]),
        ("Russia", ["Россия", "Ресей"]),
        ("Masimov", ["Масимов"]),
        ("Shoigu", ["Шойгу"]),
        ("Kyrgyzstan", ["Кыргызстан", "Киргизия"]),
        ("Tajikistan", ["Таджикистан"]),
        ("Belarus", ["Беларусь"]),
        ("Armenia", ["Армения"]),
        ("Astana", ["Nur-Sultan", "Астана"]),
    ],
)
def test_the_starter_set_knows_the_seed_story(name: str, variants: list[str]) -> None:
    aliases = AliasSet.starter()
    for variant in [name, *variants]:
        entity = aliases.entity(variant.upper())
        assert entity is not None and entity.name == name, variant


def test_aliases_are_found_whatever_the_case_and_separators() -> None:
    aliases = AliasSet.starter()
    assert aliases.entity("nur sultan") is aliases.entity("Nur-Sultan") is aliases.entity("ASTANA")
    assert aliases.entity("Kassym Jomart Tokayev") is aliases.entity("tokayev")
    assert aliases.entity("Kazakh") is None


def test_user_entries_extend_an_entity_or_add_one() -> None:
    aliases = AliasSet.starter().extend(
        {"Kazakhstan": ["Kazakstan Respublikasy"], "Bishkek": ["Бишкек"], "Токаев": ["Tokaev KJ"]}
    )
    kazakhstan = aliases.entity("Kazakstan Respublikasy")
    assert kazakhstan is not None and kazakhstan.name == "Kazakhstan"
    assert "Қазақстан" in kazakhstan.variants
    assert aliases.entity("бишкек") is aliases.entity("Bishkek")
    tokayev = aliases.entity("Tokaev KJ")
    assert tokayev is not None and tokayev.name == "Tokayev"
    assert len(aliases) == len(AliasSet.starter()) + 1
    assert AliasSet.starter().entity("Bishkek") is None  # the starter set is left alone


def test_an_entry_that_names_two_entities_is_refused() -> None:
    with pytest.raises(ValueError, match="name two entities: Astana and Kazakhstan"):
        AliasSet.starter().extend({"Capital": ["Astana", "Kazakhstan"]})
    with pytest.raises(ValueError, match="must be a list"):
        AliasSet({"Almaty": "Алматы"})
    with pytest.raises(ValueError, match="no letters or digits"):
        AliasSet({"Almaty": ["--"]})


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("Kazakhstan", "войска вошли в Казахстан"),
        ("Kazakhstan", "граница Казахстана"),
        ("Kazakhstan", "протесты в Казахстане"),
        ("Kazakhstan", "граничит с Казахстаном"),
        ("Kazakhstan", "Қазақстанның солтүстігі"),
        ("Kazakhstan", "Қазақстаннан шыға бастады"),
        ("Kazakhstan", "Қазақстандағы жағдай"),
        ("Kazakhstan", "Kazakhstan's president"),
        ("Kazakhstan", "Kazakhstan’s president"),
        ("kazakhstan", "Qazaqstan"),
        ("Казахстан", "in KAZAKHSTAN"),
        ("Tokayev", "указ Токаева"),
        ("Tokayev", "встреча с Токаевым"),
        ("Tokayev", "Тоқаевтың жарлығы"),
        ("Tokayev", "President Qasym-Zhomart Toqaev said"),
        ("Toqaev", "Kassym-Jomart Tokayev"),
        ("Kassym-Jomart Tokayev", "Тоқаев"),
        ("Masimov", "Кәрім Мәсімовті қызметтен босатқан"),
        ("Nazarbayev", "Назарбаевты"),
        ("CSTO", "войска Организации Договора о коллективной безопасности"),
        ("CSTO", "the CSTO-led force"),
        ("CSTO", "the CSTO's troops"),
        ("ОДКБ", "Collective Security Treaty Organisation"),
        ("CSTO", "Ұжымдық қауіпсіздік туралы шарт ұйымының бітімгершілік күштері"),
        ("National Security Committee", "глава КНБ"),
        ("KNB", "Комитета национальной безопасности"),
        ("Russia", "Министерство обороны России"),
        ("Russia", "Ресей қорғаныс министрлігі"),
        ("Russia", "the Russia-led alliance"),
        ("Kyrgyzstan", "из Киргизии"),
        ("Belarus", "в Беларуси"),
        ("Nur-Sultan", "в Астане"),
        ("Astana", "NUR-SULTAN --"),
        ("Almaty", "Алматыда"),
        ("Almaty", "в Алма-Ате"),
        ("Astana", "Нұр-Сұлтанда"),
        ("Tokayev", "Касым-Жомарта Токаева"),
        ("Shoigu", "Сергей Шойгу"),
    ],
)
def test_a_bare_entity_name_matches_every_name_and_inflection(query: str, text: str) -> None:
    assert matches(query, body(text)), (query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("Russia", "Russian troops"),  # adjectives are other words
        ("Kazakhstan", "Kazakhstani tenge"),
        ("Tokayev", "Tokayevich"),
        ("Almaty", "Almatyland"),
        ("CSTO", "csto"),  # acronyms in the alias set keep their capitals
        ("CSTO", "CSTOXX"),
        ("KNB", "knb"),
        ("Kazakhstan", "Ақтөбе облысына барды"),
    ],
)
def test_an_entity_does_not_match_other_words(query: str, text: str) -> None:
    assert not matches(query, body(text)), (query, text)


def test_a_quoted_term_is_literal() -> None:
    assert not matches('"Kazakhstan"', body("Казахстан"))
    assert not matches('"Казахстан"', body("Казахстана"))
    assert matches('"Казахстан"', body("казахстан"))  # case is kept only for capitals
    assert not matches('"Kazakhstan"', body("Kazakhstans"))
    assert matches('"Kazakhstan"', body("Kazakhstan's"))  # the apostrophe ends the word
    assert not matches('"Collective Security"', body("CSTO"))
    assert matches('"state of emergency"', body("a State  of\nemergency was declared"))
    assert matches('"Nur-Sultan"', body("Nur Sultan"))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("CSTO", True),
        ("the CSTO-led force", True),
        ("(CSTO)", True),
        ("CSTO's troops", True),
        ("csto", False),
        ("Csto", False),
        ("CSTOs", False),  # a quoted term takes no endings
        ("XCSTO", False),
        ("CSTO2", False),
        ("news/csto-troops-leave", False),
        ("see https://example.com/CSTO-troops for more", False),  # links are not read
        ("www.rferl.org/a/CSTO/1.html", False),
    ],
)
def test_a_quoted_capital_term_matches_that_case_as_a_whole_word(text: str, found: bool) -> None:
    assert matches('"CSTO"', body(text)) is found


def test_unquoted_words_ignore_case_and_take_english_endings() -> None:
    assert matches("fuel", body("FUEL PRICES"))
    assert matches("price", body("fuel prices rose"))
    assert matches("price", body("the price's rise"))
    assert matches("party", body("two parties"))
    assert matches("tax", body("new taxes"))
    assert not matches("us", body("it uses"))  # words under three letters take no endings
    assert not matches("fuel", body("refuel"))
    assert not matches("fuel", body("fueled"))
    assert matches("nato", body("NATO summit"))
    assert matches("NATO", body("nato"))  # unquoted capitals still ignore case
    # "csto" names the CSTO entity, whose acronym matches in capitals only.
    assert not matches("csto", body("rferl.org/a/kazakhstan-csto-withdrawal"))
    assert matches("csto", body("CSTO"))


def test_unquoted_cyrillic_words_take_case_endings() -> None:
    assert matches("учения", body("в учениях примут участие"))
    assert matches("граница", body("на границе с Афганистаном"))
    assert matches("Путин", body("с Владимиром Путиным"))
    assert matches("ёлка", body("у елки"))
    assert not matches("граница", body("пограничник"))


def test_links_in_the_text_are_not_searched() -> None:
    doc = body("Read more: https://www.rferl.org/a/kazakhstan-csto-withdrawal/31650000.html")
    assert not matches("Kazakhstan", doc)
    assert not matches("withdrawal", doc)
    assert matches("Read", doc)


# Scopes ---------------------------------------------------------------------------------------


def test_field_scopes_look_only_where_they_say() -> None:
    doc = Document(
        title="CSTO troops leave",
        body="Kazakhstan said on Thursday",
        feeds=("Azattyq (Kazakh Service)", "RFE/RL"),
        tags=("central-asia", "politics"),
        lang="ru-RU",
        keywords=("Karim Masimov", "Masimov", "KNB"),
    )
    assert matches("title:CSTO", doc)
    assert not matches("body:CSTO", doc)
    assert matches("body:Kazakhstan", doc)
    assert not matches("title:Kazakhstan", doc)
    assert matches("CSTO Kazakhstan", doc)  # no scope: title and body
    assert matches("feed:azattyq", doc)
    assert matches('feed:"RFE/RL"', doc)
    assert not matches("Azattyq", doc)  # the feed's name is not the article's text
    assert matches('tag:"central asia"', doc)
    assert matches("tag:politics", doc)
    assert not matches("politics", doc)
    assert matches("lang:ru", doc)
    assert matches("lang:ru-ru", doc)
    assert not matches("lang:en", doc)
    assert matches("lang:(en OR ru)", doc)
    assert matches("keyword:Masimov", doc)
    assert matches("keyword:(National Security Committee)", doc)  # the KNB entity
    assert not matches("Masimov", doc)
    assert not matches('keyword:"Masimov KNB"', doc)  # a phrase does not run across values


def test_keyword_texts_flatten_keywords_and_their_aliases() -> None:
    keywords = (
        Keyword("Kassym-Jomart Tokayev", "person", 1.0, ("Toqaev", "Тоқаев")),
        Keyword("CSTO", "organisation", 0.8),
    )
    texts = keyword_texts(keywords)
    assert texts == ("Kassym-Jomart Tokayev", "Toqaev", "Тоқаев", "CSTO")
    assert matches("keyword:Tokayev", Document(keywords=texts))


# Hits -----------------------------------------------------------------------------------------


def test_hits_say_which_term_matched_where_with_a_snippet() -> None:
    doc = Document(title=SEED_TITLE, body=SEED_BODY, feeds=("RFE/RL",), lang="en")
    hits = match('title:"CSTO" Kazakhstan Masimov NOT Shoigu', doc)
    assert hits is not None
    assert [str(hit) for hit in hits] == [
        '"CSTO" in title',
        "Kazakhstan in title",
        "Masimov in body",
    ]
    assert hits[0] == Hit('"CSTO"', "title", "CSTO", SEED_TITLE, None)
    body_hit = hits[2]
    assert body_hit.entity == "Masimov"
    assert body_hit.text == "Karim Masimov"  # the longest name found where the match starts
    assert "Nazarbaev ally Karim Masimov, and then" in body_hit.snippet
    assert body_hit.snippet.startswith("…") and body_hit.snippet.endswith("…")
    assert len(body_hit.snippet) < 160
    assert [str(hit) for hit in match("body:Kazakhstan lang:en", doc) or []] == [
        "Kazakhstan in body",
        "en in lang",
    ]


def test_hits_name_the_form_found_and_every_term_present() -> None:
    doc = body("Президент Токаев заявил. Позже ОДКБ начала вывод войск из Казахстана.")
    hits = match("(CSTO OR Russia) AND (Tokayev OR Masimov) AND Kazakhstan", doc)
    assert hits is not None
    assert [(h.term, h.text, h.entity) for h in hits] == [
        ("CSTO", "ОДКБ", "CSTO"),
        ("Tokayev", "Токаев", "Tokayev"),
        ("Kazakhstan", "Казахстана", "Kazakhstan"),
    ]


def test_no_match_is_none_and_a_match_without_terms_is_empty() -> None:
    doc = body("Fuel prices rose in Almaty.")
    assert match("CSTO", doc) is None
    assert match("NOT CSTO", doc) == []
    assert match("fuel NOT CSTO", doc) == [
        Hit("fuel", "body", "Fuel", "Fuel prices rose in Almaty.")
    ]


def test_the_test_articles_in_three_languages() -> None:
    english = (DATA / "pages" / "rferl_csto_withdrawal.expected.txt").read_text("utf-8")
    doc = Document(title=SEED_TITLE, body=english, lang="en")
    assert matches("CSTO AND Kazakhstan AND Tokayev AND Almaty", doc)
    assert matches("title:(CSTO AND Kazakhstan)", doc)
    russian = body((DATA / "keywords" / "ru_csto_exercises.txt").read_text(encoding="utf-8"))
    assert matches("CSTO Tajikistan Kazakhstan Kyrgyzstan Russia Armenia", russian)
    assert not matches("Belarus", russian)
    kazakh = body((DATA / "pages" / "azattyq_kk_csto_withdrawal.expected.txt").read_text("utf-8"))
    assert matches("CSTO Kazakhstan Tokayev Masimov Nazarbayev KNB Russia Almaty", kazakh)


# The matcher ----------------------------------------------------------------------------------


def test_the_matcher_gives_the_hits_of_each_matching_watch_in_order() -> None:
    matcher = Matcher(
        {
            "withdrawal": "CSTO AND Kazakhstan",
            "sport": "tag:sport",
            "purge": "(Masimov OR KNB) NOT Shoigu",
            "everything else": "NOT tag:sport",
            "russian": "lang:ru",
        }
    )
    assert len(matcher) == 5
    doc = Document(title=SEED_TITLE, body=SEED_BODY, tags=("politics",), lang="en")
    found = matcher.match(doc)
    assert list(found) == ["withdrawal", "purge", "everything else"]
    assert found["everything else"] == []
    assert [str(hit) for hit in found["purge"]] == ["Masimov in body", "KNB in body"]


def test_a_bad_watch_stops_the_matcher() -> None:
    with pytest.raises(QueryError, match="unclosed parenthesis"):
        Matcher({"fine": "CSTO", "broken": "title:(CSTO AND"})


def test_watches_compile_once_and_share_terms() -> None:
    aliases = AliasSet.starter()
    first = compile_query("Tokayev AND fuel", aliases)
    assert first.match(body("Токаев о ценах на fuel")) is not None
    assert match(parse_query("Tokayev AND fuel"), body("Тоқаев fuel"), aliases) is not None


# Matcher against a naive evaluation, over generated queries and documents ----------------------

# fmt: off
ENTITY_NAMES = ["Kazakhstan", "Токаев", "CSTO", "ОДКБ", "Almaty", "Russia", "Masimov", "Astana",
                "National Security Committee", "Kassym-Jomart Tokayev", "Belarus"]
WORDS = ["fuel", "price", "troops", "protest", "учения", "граница", "су", "a", "in", "party",
         "withdraw", "Ақтөбе", "the", "emergency", "state", "ёлка", "US", "U.S", "csto", "2022",
         "istanbul", "fire", "σίσυφος", "neill"]
PHRASES = ['"CSTO"', '"fuel prices"', '"Казахстан"', '"state of emergency"', '"in the"',
           '"KNB"', '"a year"', '"Nur-Sultan"', '"ОДКБ"', '"U.S."']
SCOPES = ["title:", "body:", "tag:", "feed:", "keyword:"]
PIECES = ["Казахстана", "Kazakhstan's", "CSTO-led", "csto", "Тоқаевтың", "fuel prices rose",
          "price of fuel", "refuel", "Tokayev", "state-of-emergency", "State of Emergency",
          "Organization", "ОДКБ", "Алматыда", "Russian", "России", "in the year", "a year ago",
          "Masimov's", "КНБ", "Nur Sultan", "Астане", "U.S.", "US", "us", "учениях", "границе",
          "су тасқыны", "партии", "parties", "withdrew", "Ақтөбеде", "ёлки", "Елка", "2022",
          "https://example.org/csto/kazakhstan", "Belarus'", "Беларуси", "a", "the", "in",
          "Collective Security Treaty Organization", "комитета национальной безопасности",
          "Kassym-Jomart", "Jomart", "CSTOs", "emergency", "protesters", "troops", "—", ",",
          # Letters whose case or compatibility forms are tricky: a dotted capital I, a final
          # sigma, a ligature, full-width capitals, a long s, a curly apostrophe.
          "İstanbul", "ΣΊΣΥΦΟΣ", "ﬁre", "ＣＳＴＯ", "ſtate", "o’Neill"]
# fmt: on


def random_query(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth < 3 and roll < 0.35:
        operator = rng.choice([" AND ", " OR ", " "])
        items = [random_query(rng, depth + 1) for _ in range(rng.randint(2, 3))]
        return "(" + operator.join(items) + ")"
    if depth < 3 and roll < 0.45:
        return "NOT " + random_query(rng, depth + 1)
    if roll < 0.5:
        return "lang:" + rng.choice(["en", "ru", "kk"])
    scope = rng.choice(SCOPES) if rng.random() < 0.2 else ""
    term = rng.choice([rng.choice(ENTITY_NAMES), rng.choice(WORDS), rng.choice(PHRASES)])
    if scope and " " in term and not term.startswith('"'):
        term = f"({term})"
    return scope + term


def random_text(rng: random.Random, pieces: int) -> str:
    return " ".join(rng.choice(PIECES) for _ in range(pieces))


def random_document(rng: random.Random) -> Document:
    return Document(
        title=random_text(rng, rng.randint(0, 5)),
        body="\n".join(random_text(rng, rng.randint(0, 12)) for _ in range(rng.randint(0, 4))),
        feeds=tuple(random_text(rng, 2) for _ in range(rng.randint(0, 2))),
        tags=tuple(rng.choice(PIECES) for _ in range(rng.randint(0, 3))),
        lang=rng.choice(["en", "ru", "kk", "ru-RU", None]),
        keywords=tuple(rng.choice(PIECES) for _ in range(rng.randint(0, 4))),
    )


def test_the_matcher_returns_exactly_what_each_watch_alone_returns() -> None:
    rng = random.Random(20220113)
    queries = {f"w{number}": random_query(rng) for number in range(400)}
    matcher = Matcher(queries)
    compiled = {name: compile_query(query) for name, query in queries.items()}
    matched_any = 0
    for _ in range(150):
        doc = random_document(rng)
        expected = {}
        for name, query in compiled.items():
            hits = query.match(doc)
            if hits is not None:
                expected[name] = hits
        assert matcher.match(doc) == expected, doc
        matched_any += bool(expected)
    assert matched_any > 100  # the generator makes documents that watches do match


# The stage's boundaries -----------------------------------------------------------------------


def test_the_stage_imports_only_the_standard_library_models_and_errors() -> None:
    package = Path(__file__).parent.parent / "ingester" / "match"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level == 1:
                    continue  # within the package
                if node.level == 2:
                    assert node.module in ("models", "errors"), (path.name, node.module)
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in sys.stdlib_module_names, (path.name, name)
