"""Tests of ``ingester.config``: every way a config file can be wrong, durations, warnings, OPML
import, where the config is looked for, and paths relative to the config file.

Config files and OPML files are written to ``tmp_path``; the current directory is moved away
from them where a test must show that paths do not depend on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pydantic
import pytest

from ingester.config import DEFAULT_PATH, ENV_VAR, Settings, load, locate, parse_duration
from ingester.errors import ConfigError
from ingester.models import FeedSpec

REPO = Path(__file__).parent.parent

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Test list</title></head>
  <body>
    <outline text="Top level" xmlUrl="https://top.example.org/rss"/>
    <outline text="Central Asia" title="Central Asia">
      <outline text="Azattyq" title="Азаттық радиосы" xmlUrl="https://kz.example.org/rss"/>
      <outline text="Kazakhstan">
        <outline text="Habar" xmlUrl="https://habar.example.com/kk/rss.xml"/>
      </outline>
    </outline>
    <outline text="Russia">
      <outline text="Sibir" xmlUrl="https://sibir.example.com/rss"/>
    </outline>
  </body>
</opml>
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- errors ----------------------------------------------------------------------------------------

FEED_A = '[[feeds]]\nurl = "https://a.example.org/rss"\n'


@pytest.mark.parametrize(
    ("toml", "key", "problem"),
    [
        pytest.param("bogus = 1\n", "bogus", "unknown key", id="unknown-top-level"),
        pytest.param(
            '[fetch]\ntimeot = "5s"\n', "fetch.timeot", "unknown key", id="unknown-nested"
        ),
        pytest.param(
            FEED_A + '[[feeds]]\nurl = "https://b.example.org/rss"\nintervall = "1h"\n',
            "feeds[1].intervall",
            "unknown key",
            id="unknown-in-feed",
        ),
        pytest.param(
            '[fetch]\nmax_bytes = "lots"\n', "fetch.max_bytes", "valid integer", id="wrong-type"
        ),
        pytest.param('[schedule]\nworkers = "two"\n', "schedule.workers", "valid integer"),
        pytest.param(FEED_A + 'tags = "news"\n', "feeds[0].tags", "tuple", id="tags-not-a-list"),
        pytest.param("fetch = 5\n", "fetch", "dictionary", id="section-not-a-table"),
        pytest.param(
            'feeds = "https://a.example.org/rss"\n', "feeds", "tuple", id="feeds-not-list"
        ),
        pytest.param("[schedule]\nworkers = 100\n", "schedule.workers", "less than or equal to 64"),
        pytest.param(
            FEED_A + '[[feeds]]\nurl = "ftp://b.example.org/feed.xml"\n',
            "feeds[1].url",
            "'ftp://b.example.org/feed.xml' is not an http:// or https:// URL",
            id="ftp-url",
        ),
        pytest.param(
            '[[feeds]]\nurl = "https:///feed.xml"\n', "feeds[0].url", "has no host", id="no-host"
        ),
        pytest.param('[[feeds]]\nurl = "http://"\n', "feeds[0].url", "has no host"),
        pytest.param('[[feeds]]\nname = "x"\n', "feeds[0].url", "required key is missing"),
        pytest.param(
            '[fetch]\ntimeout = "3x"\n', "fetch.timeout", "'3x' is not a duration", id="duration-3x"
        ),
        pytest.param(
            '[schedule]\njitter = "-5s"\n',
            "schedule.jitter",
            "'-5s' is not a duration",
            id="duration-negative",
        ),
        pytest.param("[fetch]\ntimeout = -5\n", "fetch.timeout", "cannot be negative"),
        pytest.param("[fetch]\ntimeout = true\n", "fetch.timeout", "expected a duration"),
        pytest.param('[fetch]\ntimeout = "0s"\n', "fetch.timeout", "greater than 0"),
        pytest.param(
            FEED_A + 'interval = "often"\n', "feeds[0].interval", "'often' is not a duration"
        ),
    ],
)
def test_invalid_values_name_file_key_and_problem(
    tmp_path: Path, toml: str, key: str, problem: str
) -> None:
    path = write(tmp_path / "ingester.toml", toml)
    with pytest.raises(ConfigError) as info:
        load(path)
    message = str(info.value)
    assert info.value.key == key
    assert message.startswith(f"{path}: {key}: ")
    assert problem in message


@pytest.mark.parametrize(
    ("files", "key", "problem"),
    [
        pytest.param({}, "opml[0]", "cannot read OPML file", id="missing"),
        pytest.param({"lists/feeds.opml/": ""}, "opml[0]", "cannot read OPML file", id="directory"),
        pytest.param(
            {"lists/feeds.opml": "not xml <"}, "opml[0]", "is not valid XML", id="not-xml"
        ),
        pytest.param(
            {"lists/feeds.opml": "<opml version='2.0'><head/></opml>"},
            "opml[0]",
            "is not an OPML file",
            id="no-body",
        ),
        pytest.param(
            {"lists/feeds.opml": "<rss><channel/></rss>"},
            "opml[0]",
            "is not an OPML file",
            id="rss-not-opml",
        ),
        pytest.param(
            {
                "lists/feeds.opml": "<opml><body>"
                "<outline text='x' xmlUrl='ftp://x.example.org/f'/></body></opml>"
            },
            "opml[0]",
            "is not an http:// or https:// URL",
            id="bad-url-inside",
        ),
    ],
)
def test_bad_opml_names_file_key_and_problem(
    tmp_path: Path, files: dict[str, str], key: str, problem: str
) -> None:
    for name, text in files.items():
        if name.endswith("/"):
            (tmp_path / name).mkdir(parents=True)
        else:
            write(tmp_path / name, text)
    path = write(tmp_path / "ingester.toml", 'opml = ["lists/feeds.opml"]\n')
    with pytest.raises(ConfigError) as info:
        load(path)
    assert info.value.key == key
    assert str(info.value).startswith(f"{path}: {key}: ")
    assert problem in str(info.value)
    assert str(tmp_path / "lists" / "feeds.opml") in str(info.value)


def test_the_failing_opml_file_is_named_by_its_index(tmp_path: Path) -> None:
    write(tmp_path / "good.opml", OPML)
    write(tmp_path / "bad.opml", "not xml")
    path = write(tmp_path / "ingester.toml", 'opml = ["good.opml", "bad.opml"]\n')
    with pytest.raises(ConfigError, match=r": opml\[1\]: OPML file .*bad\.opml is not valid XML"):
        load(path)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        pytest.param(b"[fetch\ntimeout = 5\n", "not valid TOML: Expected ']'", id="syntax"),
        pytest.param(b'[fetch]\ntimeout = "5s\n', "not valid TOML", id="unclosed-string"),
        pytest.param(b"[fetch]\n[fetch]\n", "not valid TOML", id="table-twice"),
        pytest.param(b'[storage]\npath = "caf\xe9.db"\n', "not valid TOML", id="not-utf8"),
    ],
)
def test_invalid_toml_names_the_file_and_where(tmp_path: Path, raw: bytes, problem: str) -> None:
    path = tmp_path / "ingester.toml"
    path.write_bytes(raw)
    with pytest.raises(ConfigError) as info:
        load(path)
    assert info.value.key is None
    assert str(info.value).startswith(f"{path}: {problem}")


def test_syntax_errors_say_where(tmp_path: Path) -> None:
    path = write(tmp_path / "ingester.toml", '[fetch]\ntimeout = "5s"\n\nworkers = = 2\n')
    with pytest.raises(ConfigError, match=r"line 4"):
        load(path)


def test_missing_config_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match="file not found") as info:
        load(path)
    assert str(info.value).startswith(str(path))


# -- durations and warnings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ('"90s"', 90.0),
        ('"15m"', 900.0),
        ('"2h"', 7200.0),
        ('"1d"', 86400.0),
        ('"500ms"', 0.5),
        ('"1.5h"', 5400.0),
        ('" 10 s "', 10.0),
        ('"45"', 45.0),
        ("45", 45.0),
        ("2.5", 2.5),
    ],
)
def test_durations(tmp_path: Path, value: str, seconds: float) -> None:
    path = write(tmp_path / "ingester.toml", f"[fetch]\ntimeout = {value}\n")
    assert load(path).fetch.timeout == seconds


@pytest.mark.parametrize("value", ["3x", "-5s", "5 minutes", "", "m", "1h30m", None, [], True])
def test_parse_duration_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


def test_jitter_of_zero_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path / "ingester.toml", '[schedule]\njitter = "0s"\n')
    assert load(path).schedule.jitter == 0.0


def test_short_intervals_warn_but_load(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ingester.toml",
        '[schedule]\ninterval = "1m"\n'
        '[[feeds]]\nurl = "https://fast.example.org/rss"\ninterval = "90s"\n'
        '[[feeds]]\nurl = "https://calm.example.org/rss"\ninterval = "30m"\n',
    )
    settings = load(path)
    assert settings.schedule.interval == 60.0
    assert [f.interval for f in settings.feeds] == [90.0, 1800.0]
    assert len(settings.warnings) == 2
    assert "[schedule] interval is 60s" in settings.warnings[0]
    assert "https://fast.example.org/rss" in settings.warnings[1]
    assert "90s" in settings.warnings[1]


def test_five_minutes_and_more_do_not_warn(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ingester.toml",
        '[schedule]\ninterval = "5m"\n' + FEED_A + 'interval = "1h"\n',
    )
    assert load(path).warnings == ()


def test_defaults(tmp_path: Path) -> None:
    settings = load(write(tmp_path / "ingester.toml", ""))
    assert settings.feeds == ()
    assert settings.warnings == ()
    assert settings.schedule.interval == 900.0
    assert settings.fetch.timeout == 30.0
    assert settings.fetch.allow_private_networks is False
    assert settings.interval_of(FeedSpec("https://a.example.org/rss")) == 900.0
    assert settings.interval_of(FeedSpec("https://a.example.org/rss", interval=60.0)) == 60.0


# -- OPML ------------------------------------------------------------------------------------------


def test_opml_feeds_are_added_with_their_categories_as_tags(tmp_path: Path) -> None:
    write(tmp_path / "feeds.opml", OPML)
    settings = load(write(tmp_path / "ingester.toml", 'opml = ["feeds.opml"]\n'))
    assert settings.feeds == (
        FeedSpec("https://top.example.org/rss", name="Top level", tags=()),
        FeedSpec("https://kz.example.org/rss", name="Азаттық радиосы", tags=("Central Asia",)),
        FeedSpec(
            "https://habar.example.com/kk/rss.xml",
            name="Habar",
            tags=("Central Asia", "Kazakhstan"),
        ),
        FeedSpec("https://sibir.example.com/rss", name="Sibir", tags=("Russia",)),
    )


def test_feeds_tables_override_opml_entries_with_the_same_url(tmp_path: Path) -> None:
    write(tmp_path / "feeds.opml", OPML)
    path = write(
        tmp_path / "ingester.toml",
        'opml = ["feeds.opml"]\n'
        '[[feeds]]\nurl = "https://kz.example.org/rss"\nname = "Azattyq (mine)"\n'
        'interval = "10m"\ntags = ["kz"]\nenabled = false\n'
        '[[feeds]]\nurl = "https://extra.example.net/atom.xml"\n',
    )
    feeds = {f.url: f for f in load(path).feeds}
    assert len(feeds) == 5
    assert feeds["https://kz.example.org/rss"] == FeedSpec(
        "https://kz.example.org/rss",
        name="Azattyq (mine)",
        interval=600.0,
        tags=("kz",),
        enabled=False,
    )
    assert feeds["https://sibir.example.com/rss"].tags == ("Russia",)
    assert feeds["https://extra.example.net/atom.xml"] == FeedSpec(
        "https://extra.example.net/atom.xml"
    )


def test_opml_path_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "etc" / "lists" / "feeds.opml", OPML)
    path = write(tmp_path / "etc" / "ingester.toml", 'opml = ["lists/feeds.opml"]\n')
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert len(load(path).feeds) == 4


def test_the_shipped_example_config_loads() -> None:
    settings = load(REPO / "config" / "ingester.toml")
    assert settings.warnings == ()
    assert settings.feeds
    assert all(f.url.startswith(("http://", "https://")) for f in settings.feeds)
    assert settings.storage_path == (REPO / "data" / "ingester.db").resolve()


def test_the_conftest_config_fixture_loads(make_config: Callable[..., Path]) -> None:
    settings = load(make_config(["http://127.0.0.1:8000/a.xml", "http://127.0.0.1:8000/b.xml"]))
    assert [f.url for f in settings.feeds] == [
        "http://127.0.0.1:8000/a.xml",
        "http://127.0.0.1:8000/b.xml",
    ]
    assert settings.fetch.allow_private_networks is True
    assert settings.schedule.interval == 1.0  # hence a warning
    assert len(settings.warnings) == 1


# -- where the config is, and paths relative to it -------------------------------------------------


def test_locate_prefers_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "/etc/from-env.toml")
    assert locate("/srv/from-arg.toml") == Path("/srv/from-arg.toml")


def test_locate_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "/etc/from-env.toml")
    assert locate(None) == Path("/etc/from-env.toml")


def test_locate_falls_back_to_the_config_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert locate(None) == DEFAULT_PATH == Path("config/ingester.toml")
    monkeypatch.setenv(ENV_VAR, "")
    assert locate(None) == DEFAULT_PATH


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[storage]\npath = "db/ingester.db"\n', "etc/db/ingester.db"),
        ('[storage]\npath = "../var/ingester.db"\n', "var/ingester.db"),
        ("", "data/ingester.db"),  # the default, ../data/ingester.db
    ],
)
def test_storage_path_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, expected: str
) -> None:
    path = write(tmp_path / "etc" / "ingester.toml", toml)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    settings = load(Path("..") / "etc" / "ingester.toml")
    assert settings.storage_path == (tmp_path / expected).resolve()
    assert settings.source == path.resolve()


def test_an_absolute_storage_path_is_kept(tmp_path: Path) -> None:
    db = tmp_path / "abs" / "x.db"
    path = write(tmp_path / "etc" / "ingester.toml", f'[storage]\npath = "{db}"\n')
    assert load(path).storage_path == db


# -- immutability ----------------------------------------------------------------------------------


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load(write(tmp_path / "ingester.toml", FEED_A))
    assert isinstance(settings, Settings)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.storage_path = tmp_path / "other.db"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        settings.fetch.timeout = 1.0
    with pytest.raises(pydantic.ValidationError):
        settings.schedule.interval = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.feeds[0].url = "https://b.example.org/rss"  # type: ignore[misc]
    assert isinstance(settings.feeds, tuple)
    assert isinstance(settings.warnings, tuple)
