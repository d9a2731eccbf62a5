"""Tests of the watch, notifier, alert and alias parts of ``ingester.config``, and of the secrets
the notifiers read from the environment or from files.

Config and secret files are written to ``tmp_path``; the environment is changed through
``monkeypatch`` only. The last tests run ``ingester check-config`` as a user would.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult
from standardwebhooks import Webhook

from ingester.alert import Alert, AlertArticle
from ingester.alert.email import EmailNotifier
from ingester.alert.webhook import WebhookNotifier
from ingester.config import (
    EmailSettings,
    WebhookSettings,
    check_secrets,
    load,
    parse_rate,
    secret,
)
from ingester.deliver import build_notifier
from ingester.errors import ConfigError
from ingester.models import WatchPolicy

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PASSWORD = "pa55-w0rd-Zq-do-not-show"
USERNAME = "alerts-user-do-not-show"

HOOK = '[notifiers.hook]\ntype = "webhook"\nurl = "https://hooks.example.org/ingester"\n'
MAIL = (
    '[notifiers.mail]\ntype = "email"\nhost = "smtp.example.org"\n'
    'from = "Ingester <ingester@example.org>"\nto = ["desk@example.org"]\n'
)
CSTO = '[[watches]]\nname = "csto"\nquery = "CSTO AND Kazakhstan"\nnotify = ["hook"]\n'

GOOD = """
[[feeds]]
url = "https://tengri.example.org/rss"
name = "Tengri News"

[[feeds]]
url = "https://kz.example.org/rss"

[alerts]
max_attempts = 5
retry = "1m"
max_retry = "2h"
concurrency = 2

[notifiers.desk]
type = "webhook"
url = "https://hooks.example.org/ingester"
format = "slack"
secret_env = "TEST_DESK_SECRET"
timeout = "5s"

[notifiers.mail]
type = "email"
host = "smtp.example.org"
tls = "implicit"
username_file = "secrets/smtp-user"
password_env = "TEST_SMTP_PASSWORD"
from = "Ingester <ingester@example.org>"
to = ["desk@example.org", "night@example.org"]

[notifiers.relay]
type = "email"
host = "relay.internal"
tls = "none"
from = "ingester@example.org"
to = ["ops@example.org"]

[[watches]]
name = "CSTO in Kazakhstan"
query = "CSTO AND (Kazakhstan OR AIF)"
notify = ["desk", "mail"]
feeds = ["Tengri News", "https://kz.example.org/rss"]
tags = ["politics"]
rate_limit = "20/1h"

[[watches]]
name = "Toqaev, daily"
query = 'Tokayev NOT sport'
notify = ["mail"]
mode = "digest"
digest_every = "6h"
digest_at = ["07:00", "19:30"]

[[watches]]
name = "recorded only"
query = '"fuel prices"'

[aliases]
"Astana International Forum" = ["AIF", "Астанинский международный форум"]
Kazakhstan = ["Kazakh Republic"]
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config_error(tmp_path: Path, text: str) -> ConfigError:
    path = write(tmp_path / "ingester.toml", text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}: ")
    return caught.value


# -- what loads ------------------------------------------------------------------------------------


def test_watches_notifiers_alerts_and_aliases_load(tmp_path: Path) -> None:
    settings = load(write(tmp_path / "ingester.toml", GOOD))

    assert (settings.alerts.max_attempts, settings.alerts.retry) == (5, 60.0)
    assert (settings.alerts.max_retry, settings.alerts.concurrency) == (7200.0, 2)

    desk, mail, relay = (settings.notifiers[name] for name in ("desk", "mail", "relay"))
    assert isinstance(desk, WebhookSettings)
    assert (desk.url, desk.format, desk.secret_env, desk.timeout) == (
        "https://hooks.example.org/ingester",
        "slack",
        "TEST_DESK_SECRET",
        5.0,
    )
    assert isinstance(mail, EmailSettings) and isinstance(relay, EmailSettings)
    assert (mail.tls, mail.smtp_port, mail.sender) == (
        "implicit",
        465,
        "Ingester <ingester@example.org>",
    )
    assert mail.to == ("desk@example.org", "night@example.org")
    assert (mail.username_file, mail.password_env, mail.timeout) == (
        "secrets/smtp-user",
        "TEST_SMTP_PASSWORD",
        30.0,
    )
    assert (relay.tls, relay.smtp_port, relay.username_env, relay.password_env) == (
        "none",
        25,
        None,
        None,
    )

    instant, daily, recorded = settings.watches
    assert instant.policy == WatchPolicy(
        "CSTO in Kazakhstan", ("desk", "mail"), "instant", (20, 3600.0)
    )
    assert instant.feeds == ("Tengri News", "https://kz.example.org/rss")
    assert instant.tags == ("politics",)
    assert (instant.digest_every, instant.digest_at) == (3600.0, ())
    assert daily.policy == WatchPolicy("Toqaev, daily", ("mail",), "digest", None)
    assert (daily.digest_every, daily.digest_at) == (6 * 3600.0, ("07:00", "19:30"))
    assert recorded.notify == () and recorded.mode == "instant"
    assert settings.watch("Toqaev, daily") is daily
    assert settings.watch("nobody") is None
    assert settings.warnings == (
        "watch 'recorded only' has no notify list: its matches are recorded, not sent",
    )

    forum = settings.aliases.entity("aif")
    assert forum is not None and forum.name == "Astana International Forum"
    assert "Астанинский международный форум" in forum.variants
    kazakhstan = settings.aliases.entity("Kazakh Republic")
    assert kazakhstan is not None and kazakhstan.name == "Kazakhstan"
    assert {"Қазақстан", "Qazaqstan", "Kazakh Republic"} <= set(kazakhstan.variants)
    tokayev = settings.aliases.entity("Toqaev")  # the starter set is still there
    assert tokayev is not None and tokayev.name == "Tokayev"


def test_a_watch_scoped_to_a_feed_the_config_lacks_warns(tmp_path: Path) -> None:
    text = GOOD.replace('"Tengri News", "https://kz', '"Tengri", "https://kz')
    settings = load(write(tmp_path / "ingester.toml", text))
    assert any("no configured feed is named 'Tengri'" in w for w in settings.warnings)
    assert len(settings.warnings) == 2


def test_no_watches_and_no_notifiers_is_fine(tmp_path: Path) -> None:
    settings = load(write(tmp_path / "ingester.toml", ""))
    assert (settings.watches, settings.notifiers, settings.warnings) == ((), {}, ())
    assert (settings.alerts.max_attempts, settings.alerts.retry) == (10, 30.0)
    assert (settings.alerts.max_retry, settings.alerts.concurrency) == (3600.0, 4)
    assert settings.aliases.entity("ОДКБ") is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10/1h", (10, 3600.0)),
        ("10/h", (10, 3600.0)),
        (" 50 / 1d ", (50, 86400.0)),
        ("3/90s", (3, 90.0)),
        ("1/15m", (1, 900.0)),
    ],
)
def test_rate_limits(text: str, expected: tuple[int, float]) -> None:
    assert parse_rate(text) == expected


# -- what does not, and where it says the problem is -----------------------------------------------


@pytest.mark.parametrize(
    ("toml", "key", "problem"),
    [
        pytest.param(
            HOOK + CSTO + '[[watches]]\nname = "w"\nquery = "CSTO and Russia"\n',
            "watches[1].query",
            "bad query: lower-case 'and' at 5",
            id="bad-query-second-watch",
        ),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = ""\n', "watches[0].query", "empty query", id="empty"
        ),
        pytest.param(
            HOOK + '[[watches]]\nname = "w"\nquery = "CSTO"\nnotify = ["hook", "pager"]\n',
            "watches[0].notify",
            "no notifier named 'pager' (known: hook)",
            id="unknown-notifier",
        ),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = "CSTO"\nnotify = ["pager"]\n',
            "watches[0].notify",
            "no notifier named 'pager' (known: none is configured)",
            id="no-notifiers-at-all",
        ),
        pytest.param(
            HOOK + CSTO + '[[watches]]\nname = "csto"\nquery = "Russia"\n',
            "watches[1].name",
            "a second watch named 'csto'",
            id="duplicate-name",
        ),
        pytest.param(
            '[[watches]]\nname = ""\nquery = "CSTO"\n', "watches[0].name", "at least 1 character"
        ),
        pytest.param('[[watches]]\nquery = "CSTO"\n', "watches[0].name", "required key is missing"),
        pytest.param('[[watches]]\nname = "w"\n', "watches[0].query", "required key is missing"),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = "CSTO"\nnotfy = ["hook"]\n',
            "watches[0].notfy",
            "unknown key",
            id="misspelt-key",
        ),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = "CSTO"\nrate_limit = "ten an hour"\n',
            "watches[0].rate_limit",
            "'ten an hour' is not a rate; write it like 10/1h or 50/1d",
            id="rate-words",
        ),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = "CSTO"\nrate_limit = "0/1h"\n',
            "watches[0].rate_limit",
            "at least 1 alert",
            id="rate-zero",
        ),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = "CSTO"\nrate_limit = "5/0s"\n',
            "watches[0].rate_limit",
            "longer than 0s",
            id="rate-empty-window",
        ),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = "CSTO"\nrate_limit = "5/1y"\n',
            "watches[0].rate_limit",
            "'1y' is not a duration",
            id="rate-bad-window",
        ),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = "CSTO"\nrate_limit = 10\n',
            "watches[0].rate_limit",
            "10 is not a rate",
            id="rate-number",
        ),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = "CSTO"\ndigest_at = ["8am"]\n',
            "watches[0].digest_at[0]",
            "'8am' is not a time of day; write it like 08:00 (UTC)",
            id="digest-at-8am",
        ),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = "CSTO"\ndigest_at = ["07:00", "24:00"]\n',
            "watches[0].digest_at[1]",
            "'24:00' is not a time of day",
            id="digest-at-24",
        ),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = "CSTO"\ndigest_at = ["7:00"]\n',
            "watches[0].digest_at[0]",
            "'7:00' is not a time of day",
            id="digest-at-one-digit",
        ),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = "CSTO"\ndigest_every = "30s"\n',
            "watches[0].digest_every",
            "greater than or equal to 60",
            id="digest-every-too-often",
        ),
        pytest.param(
            '[[watches]]\nname = "w"\nquery = "CSTO"\nmode = "weekly"\n',
            "watches[0].mode",
            "must be 'instant' or 'digest', not 'weekly'",
            id="mode",
        ),
        pytest.param(
            '[notifiers.hook]\nurl = "https://hooks.example.org/x"\n',
            "notifiers.hook",
            'type must be "webhook" or "email"',
            id="notifier-without-type",
        ),
        pytest.param(
            '[notifiers.hook]\ntype = "sms"\nurl = "https://hooks.example.org/x"\n',
            "notifiers.hook",
            'type must be "webhook" or "email"',
            id="notifier-unknown-type",
        ),
        pytest.param(
            "[alerts]\nmax_attempts = 0\n", "alerts.max_attempts", "greater than or equal"
        ),
        pytest.param('[alerts]\nretry = "soon"\n', "alerts.retry", "'soon' is not a duration"),
        pytest.param("[alerts]\nconcurency = 2\n", "alerts.concurency", "unknown key"),
        pytest.param(
            '[aliases]\nCSTO = ["Kazakhstan"]\n',
            "aliases",
            "the aliases of 'CSTO' name two entities: CSTO and Kazakhstan",
            id="alias-joins-two-entities",
        ),
        pytest.param(
            '[aliases]\nAIF = "Astana International Forum"\n',
            "aliases.AIF",
            "tuple",
            id="alias-not-a-list",
        ),
    ],
)
def test_bad_watches_notifiers_and_aliases_name_the_key(
    tmp_path: Path, toml: str, key: str, problem: str
) -> None:
    error = config_error(tmp_path, toml)
    assert error.key == key
    assert problem in error.problem
    assert f": {key}: " in str(error)


@pytest.mark.parametrize(
    ("toml", "field", "problem"),
    [
        pytest.param(
            '[notifiers.mail]\ntype = "email"\nhost = "smtp.example.org"\nfrom = "a@example.org"\n',
            "to",
            "required key is missing",
            id="email-without-to",
        ),
        pytest.param(MAIL.replace('["desk@example.org"]', "[]"), "to", "at least 1 item"),
        pytest.param(MAIL.replace("host", "hots"), "host", "required key is missing"),
        pytest.param(MAIL + 'tls = "ssl"\n', "tls", "'implicit', 'starttls' or 'none', not 'ssl'"),
        pytest.param(MAIL + "port = 0\n", "port", "greater than or equal to 1"),
        pytest.param(
            HOOK.replace("https://hooks.example.org/ingester", "ftp://hooks.example.org/x"),
            "url",
            "not an absolute http:// or https:// URL",
            id="webhook-ftp-url",
        ),
        pytest.param(
            HOOK.replace("https://hooks.example.org/ingester", "hooks.example.org/x"),
            "url",
            "not an absolute http:// or https:// URL",
            id="webhook-relative-url",
        ),
        pytest.param('[notifiers.hook]\ntype = "webhook"\n', "url", "required key is missing"),
        pytest.param(
            HOOK + 'format = "teams"\n', "format", "'json', 'slack' or 'discord', not 'teams'"
        ),
        pytest.param(HOOK + 'timeout = "10m"\n', "timeout", "less than or equal to 300"),
        pytest.param(HOOK + 'secret = "whsec_abc"\n', "secret", "unknown key"),
    ],
)
def test_bad_notifier_settings_are_refused(
    tmp_path: Path, toml: str, field: str, problem: str
) -> None:
    error = config_error(tmp_path, toml)
    name = "mail" if "email" in toml else "hook"
    assert error.key is not None
    assert error.key.startswith(f"notifiers.{name}.") and error.key.endswith(f".{field}")
    assert problem in error.problem


# Errors name the key as the file writes it, not pydantic's union tag in between.
@pytest.mark.parametrize(
    ("toml", "key"),
    [
        pytest.param(HOOK.replace("https://", "ftp://"), "notifiers.hook.url", id="url"),
        pytest.param(HOOK + 'format = "teams"\n', "notifiers.hook.format", id="format"),
        pytest.param(MAIL.replace('to = ["desk@example.org"]\n', ""), "notifiers.mail.to", id="to"),
    ],
)
def test_a_bad_notifier_key_is_named_as_the_file_writes_it(
    tmp_path: Path, toml: str, key: str
) -> None:
    assert config_error(tmp_path, toml).key == key


def test_a_bad_query_shows_where_it_went_wrong(tmp_path: Path) -> None:
    error = config_error(tmp_path, HOOK + CSTO.replace("CSTO AND Kazakhstan", "CSTO AND (Russia"))
    assert error.key == "watches[0].query"
    first, query_line, caret_line = error.problem.splitlines()
    assert first == "bad query: unclosed parenthesis at 9"
    assert query_line == "    CSTO AND (Russia"
    assert caret_line == "    " + " " * 9 + "^"
    assert query_line[caret_line.index("^")] == "("


# A time of day that is not a string is a config error (exit 78), not a TypeError.
def test_a_time_of_day_that_is_not_a_string_is_a_config_error(tmp_path: Path) -> None:
    error = config_error(tmp_path, '[[watches]]\nname = "w"\nquery = "CSTO"\ndigest_at = [8]\n')
    assert error.key == "watches[0].digest_at[0]"


# -- secrets --------------------------------------------------------------------------------------


def test_secrets_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = GOOD.replace('username_file = "secrets/smtp-user"', 'username_env = "TEST_SMTP_USER"')
    settings = load(write(tmp_path / "ingester.toml", text))
    monkeypatch.setenv("TEST_DESK_SECRET", f"  {SECRET}\n")
    monkeypatch.setenv("TEST_SMTP_USER", USERNAME)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    check_secrets(settings)
    desk = settings.notifiers["desk"]
    assert isinstance(desk, WebhookSettings)
    assert secret(desk.secret_env, desk.secret_file, settings, "notifiers.desk.secret") == SECRET
    mail = build_notifier("mail", settings)
    assert isinstance(mail, EmailNotifier)
    assert (mail.username, mail.port, mail.tls) == (USERNAME, 465, "implicit")
    assert PASSWORD not in repr(mail)


@pytest.mark.parametrize("value", [None, ""])
def test_a_missing_secret_names_its_key_and_shows_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    settings = load(write(tmp_path / "ingester.toml", GOOD))
    write(tmp_path / "secrets" / "smtp-user", USERNAME)
    monkeypatch.setenv("TEST_DESK_SECRET", SECRET)
    if value is None:
        monkeypatch.delenv("TEST_SMTP_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("TEST_SMTP_PASSWORD", value)
    with pytest.raises(ConfigError) as caught:
        check_secrets(settings)
    error = caught.value
    assert error.key == "notifiers.mail.password_env"
    assert "environment variable TEST_SMTP_PASSWORD is not set (or empty)" in error.problem
    assert str(error).startswith(f"{settings.source}: notifiers.mail.password_env: ")
    for shown in (SECRET, USERNAME, SECRET.removeprefix("whsec_")):
        assert shown not in str(error)


# A variable holding only blanks counts as missing, as a blank secret file does.
def test_a_blank_secret_variable_counts_as_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "ingester.toml", HOOK + 'secret_env = "TEST_HOOK_SECRET"\n')
    monkeypatch.setenv("TEST_HOOK_SECRET", "  \n")
    with pytest.raises(ConfigError) as caught:
        check_secrets(load(path))
    assert caught.value.key == "notifiers.hook.secret_env"


def test_a_missing_webhook_secret_names_secret_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "ingester.toml", HOOK + 'secret_env = "TEST_HOOK_SECRET"\n')
    monkeypatch.delenv("TEST_HOOK_SECRET", raising=False)
    with pytest.raises(ConfigError) as caught:
        check_secrets(load(path))
    assert caught.value.key == "notifiers.hook.secret_env"
    assert "TEST_HOOK_SECRET" in caught.value.problem


def test_a_secret_file_is_read_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "etc" / "ingester.toml", HOOK + 'secret_file = "secrets/hook"\n')
    write(tmp_path / "etc" / "secrets" / "hook", SECRET + "\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    settings = load(Path("..") / "etc" / "ingester.toml")
    check_secrets(settings)
    notifier = build_notifier("hook", settings)
    assert isinstance(notifier, WebhookNotifier)
    # The secret read from the file signs what the notifier sends.
    article = AlertArticle("CSTO exercise", "https://news.example.org/csto")
    alert = Alert("msg_0123", "csto", "alert.created", (article,), datetime.now(UTC))
    request = notifier.request(alert)
    payload = Webhook(SECRET).verify(request.content, dict(request.headers))
    assert payload["data"]["watch"] == "csto"
    assert notifier.request(alert).headers["webhook-id"] == "msg_0123"
    assert path.is_file()


def test_a_secret_file_may_name_an_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = tmp_path / "run" / "credentials"
    write(credentials / "webhook", SECRET)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    text = HOOK + 'secret_file = "${CREDENTIALS_DIRECTORY}/webhook"\n'
    settings = load(write(tmp_path / "etc" / "ingester.toml", text))
    hook = settings.notifiers["hook"]
    assert isinstance(hook, WebhookSettings)
    assert secret(hook.secret_env, hook.secret_file, settings, "notifiers.hook.secret") == SECRET


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "cannot read"), ("", "is empty"), ("  \n", "is empty")],
)
def test_a_missing_or_empty_secret_file_names_secret_file(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    path = write(tmp_path / "ingester.toml", HOOK + 'secret_file = "secrets/hook"\n')
    if content is not None:
        write(tmp_path / "secrets" / "hook", content)
    with pytest.raises(ConfigError) as caught:
        check_secrets(load(path))
    assert caught.value.key == "notifiers.hook.secret_file"
    assert problem in caught.value.problem
    assert str(tmp_path / "secrets" / "hook") in caught.value.problem


def test_a_secret_that_is_not_a_signing_key_is_refused_without_showing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = "whsec_this is !! not base64"
    monkeypatch.setenv("TEST_HOOK_SECRET", bad)
    path = write(tmp_path / "ingester.toml", HOOK + 'secret_env = "TEST_HOOK_SECRET"\n')
    with pytest.raises(ConfigError) as caught:
        build_notifier("hook", load(path))
    assert caught.value.key == "notifiers.hook"
    assert "not 'whsec_' and base64" in caught.value.problem
    assert "this is !!" not in str(caught.value)


# -- the command line ------------------------------------------------------------------------------


def test_check_config_exits_78_on_a_bad_watch_query_and_points_at_it(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    query = "CSTO AND (Kazakhstan OR Russia"
    path = write(tmp_path / "ingester.toml", HOOK + CSTO.replace("CSTO AND Kazakhstan", query))
    result = cli("--config", str(path), "check-config")
    assert result.code == 78
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f"error: bad config: {path}: watches[0].query: bad query: unclosed parenthesis at 9"
    )
    query_line, caret_line = lines[1], lines[2]
    assert query_line.strip() == query
    assert caret_line.strip() == "^"
    assert query_line[caret_line.index("^")] == "("
    assert "Nothing was started" in result.stderr


def test_check_config_exits_78_on_a_missing_secret_and_shows_none(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    path = write(tmp_path / "ingester.toml", GOOD)
    write(tmp_path / "secrets" / "smtp-user", USERNAME)
    env = {"TEST_DESK_SECRET": SECRET, "TEST_SMTP_PASSWORD": ""}
    result = cli("--config", str(path), "check-config", env=env)
    assert result.code == 78
    assert "notifiers.mail.password_env" in result.stderr
    assert "TEST_SMTP_PASSWORD is not set" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert USERNAME not in result.stderr + result.stdout

    env["TEST_SMTP_PASSWORD"] = PASSWORD
    result = cli("--config", str(path), "check-config", "--json", env=env)
    assert result.code == 0, result.stderr
    summary: dict[str, Any] = json.loads(result.stdout)
    assert summary["notifiers"]["desk"] == {
        "type": "webhook",
        "host": "https://hooks.example.org",  # not the path: chat webhooks keep a token there
    }
    assert summary["notifiers"]["mail"] == {"type": "email", "host": "smtp.example.org"}
    assert [(w["name"], w["mode"], w["notify"]) for w in summary["watches"]] == [
        ("CSTO in Kazakhstan", "instant", ["desk", "mail"]),
        ("Toqaev, daily", "digest", ["mail"]),
        ("recorded only", "instant", []),
    ]
    for shown in (SECRET, PASSWORD, USERNAME):
        assert shown not in result.stdout + result.stderr
    assert os.environ.get("TEST_SMTP_PASSWORD") is None  # the subprocess's env was its own
