"""Settings are read and parsed in one place (bot/config.py); a bad value stops the start naming its variable."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot import create_app
from bot.config import DEFAULT_DISASTER_BANNER, DEFAULT_DISASTER_GREETING, DEV_SECRET_KEY, SettingError, from_environment

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"

# One bad value of each kind: the variable, the value, a piece of what the message says is allowed.
BAD = [
    ("NOTICE_TEST_SENDS_PER_HOUR", "abc", "a whole number from 0"),
    ("SMTP_PORT", "-1", "a whole number from 1 to 65535"),
    ("SMTP_PORT", "70000", "a whole number from 1 to 65535"),
    ("SIGNAGE_POLL_SECONDS", "1e99", "a whole number from 1 to 3600"),
    ("MAX_FORM_BYTES", "0", "a whole number from 1"),
    ("LINE_API_TIMEOUT", "1e99", "a number above 0 up to 300"),
    ("SMTP_TIMEOUT", "nan", "a number above 0 up to 300"),
    ("NOTICE_LEASE_SECONDS", "inf", "a number above 0 up to 86400"),
    ("NOTICE_POLL_SECONDS", "-5", "a number above 0"),
    ("DB_PING_IDLE_SECONDS", "soon", "a number from 0"),
    ("NOTICE_APPROVAL_REQUIRED", "maybe", "one of 1, true, yes, on (on) or 0, false, no, off (off)"),
    ("SMTP_STARTTLS", "ture", "one of 1, true, yes, on"),
    ("LINE_API_ENDPOINT", "api.line.me", "an http:// or https:// address"),
    ("LINE_ADD_FRIEND_URL", "javascript:alert(1)", "an http:// or https:// address"),
    ("TOWN_TIMEZONE", "Mars/Olympus", "a time zone name like Asia/Tokyo"),
    ("NOTICE_TIMEZONE", "JST+9", "a time zone name"),
    ("APP_ENV", "prodution", "one of development, production"),
    ("TRUSTED_PROXIES", "-1", "a whole number from 0 to 10"),
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_bad_value_stops_create_app_naming_the_variable(monkeypatch, name, value, allowed):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError) as caught:
        create_app({"TESTING": True})
    message = str(caught.value)
    assert f"{name} must be {allowed}" in message and repr(value) in message
    assert caught.value.problems == [message.split(": ", 1)[1]]  # this one variable, nothing else


def test_every_bad_value_is_named_at_once():
    with pytest.raises(SettingError) as caught:
        from_environment("/tmp", {"SMTP_PORT": "x", "NOTICE_MAX_ATTEMPTS": "0", "SMTP_STARTTLS": "sometimes"})
    assert [problem.split()[0] for problem in caught.value.problems] == [
        "SMTP_PORT", "SMTP_STARTTLS", "NOTICE_MAX_ATTEMPTS"]


def test_empty_means_default_and_good_values_are_taken():
    settings = from_environment("/tmp", {"SMTP_PORT": "", "SIGNAGE_POLL_SECONDS": " 7 ", "SMTP_STARTTLS": "OFF",
                                         "LINE_API_TIMEOUT": "2.5", "FORM_LINK_MAX_AGE": "60",
                                         "NOTICE_APPROVAL_REQUIRED": "no", "TOWN_TIMEZONE": "Asia/Seoul"})
    assert settings["SMTP_PORT"] == 587 and settings["SIGNAGE_POLL_SECONDS"] == 7
    assert settings["SMTP_STARTTLS"] is False and settings["NOTICE_APPROVAL_REQUIRED"] is False
    assert settings["LINE_API_TIMEOUT"] == 2.5 and settings["FORM_LINK_MAX_AGE"] == 60
    assert settings["NOTICE_TIMEZONE"] == "Asia/Seoul"  # notices follow the town's zone unless set apart


def test_flask_command_stops_with_one_clear_line():
    env = {**os.environ, "NOTICE_TEST_SENDS_PER_HOUR": "abc"}
    env.pop("FLASK_APP", None)
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "app", "routes"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == ("Cannot start: Bad settings in the environment: NOTICE_TEST_SENDS_PER_HOUR must "
                                     "be a whole number from 0 to 1000000000, not 'abc'")


class Recording(dict):
    """An empty environment that notes every variable asked for."""

    def __init__(self):
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)


def documented() -> dict[str, str]:
    """Return {variable: default column} from the tables of docs/configuration.md."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            names = re.findall(r"`([A-Z_]+)`", cells[0])
            values = re.findall(r"`([^`]*)`", cells[1])
            for index, name in enumerate(names):
                rows[name] = values[index] if len(values) == len(names) else cells[1]
    return rows


def test_documented_defaults_are_the_parsed_defaults():
    environ = Recording()
    settings = from_environment("/instance", environ)
    docs = documented()
    # Read by others, not by the app: gunicorn (gunicorn.conf.py) and the signage KPI override (config only).
    not_parsed = {"PORT", "WEB_CONCURRENCY", "GUNICORN_BIND", "GUNICORN_ACCESS_LOG", "WEB_PRELOAD", "SIGNAGE_KPI"}
    assert sorted(environ.asked - set(docs)) == []  # every variable the app reads is documented
    assert sorted(set(docs) - environ.asked - not_parsed) == []  # and every documented one is read
    special = {  # defaults the table describes in words
        "SECRET_KEY": DEV_SECRET_KEY, "SIMULATOR_ENABLED": True, "NOTICE_APPROVAL_REQUIRED": True,
        "TOWN_DISASTER_BANNER": DEFAULT_DISASTER_BANNER, "TOWN_DISASTER_GREETING": DEFAULT_DISASTER_GREETING,
        "LINE_API_CONNECTIONS": 24, "NOTICE_TOPICS": "", "LOG_HASH_KEY": "", "PUBLIC_BASE_URL": "",
        "KNOWLEDGE_DIR": str(ROOT / "knowledge"), "NOTICE_DEV_WORKER": False,
        "SQLALCHEMY_DATABASE_URI": "sqlite:////instance/ashibetsu-bot.sqlite3",
    }
    assert docs["DATABASE_URL"] == "sqlite:///instance/ashibetsu-bot.sqlite3"
    checked = 0
    for name in sorted(environ.asked):
        key = "SQLALCHEMY_DATABASE_URI" if name == "DATABASE_URL" else name
        if key not in settings:
            continue  # WEB_THREADS: only the default of LINE_API_CONNECTIONS
        if key in special:
            assert settings[key] == special[key], name
        else:
            text = docs[name]
            expected = {"empty": "", "true": True, "false": False}.get(text, text)
            if isinstance(settings[key], bool):
                assert settings[key] is expected, name
            elif isinstance(settings[key], (int, float)):
                assert settings[key] == float(text), name
            else:
                assert settings[key] == expected, name
        checked += 1
    assert checked >= 70


def test_the_migration_url_is_read_like_database_url_and_empty_means_database_url():
    settings = from_environment("/tmp", {"DATABASE_URL": "postgres://bot_app@db/bot",
                                         "DATABASE_MIGRATION_URL": " postgres://bot_owner@db/bot "})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://bot_app@db/bot"
    assert settings["DATABASE_MIGRATION_URL"] == "postgresql+psycopg://bot_owner@db/bot"
    assert from_environment("/tmp", {"DATABASE_MIGRATION_URL": ""})["DATABASE_MIGRATION_URL"] == ""
