"""Read and change the town's settings: the environment gives defaults, what admins set in the console wins."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from bot.core import audit
from bot.core.tenancy import clear_after_commit, current_ref, current_town_id, keyed, town_cache
from bot.core.labels import field_label
from bot.extensions import db
from bot.town.model import Town
from bot.models import TownSetting, utcnow
from bot.models.tenancy import DEFAULT_TOWN_ID
from bot.core.problems import FORM, Invalid, Problem
from bot.core.textrules import has_control, phone_problem, web_url_problem

# Setting key → the app config key that holds its default.
DEFAULTS = {
    "name": "TOWN_NAME",
    "contact": "TOWN_CONTACT",
    "phone": "TOWN_PHONE",
    "hours": "TOWN_HOURS",
    "website": "TOWN_WEBSITE",
    "disaster_banner": "TOWN_DISASTER_BANNER",
    "disaster_greeting": "TOWN_DISASTER_GREETING",
    "power_name": "TOWN_POWER_NAME",
    "power_contact": "TOWN_POWER_CONTACT",
    "water_name": "TOWN_WATER_NAME",
    "water_contact": "TOWN_WATER_CONTACT",
}
MULTILINE = ("disaster_greeting",)
# Every reply reads the town: one process keeps it this many seconds, so another worker's change shows
# within that time without a database round trip per reply (this process's own changes show at once).
DEFAULT_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class DisasterState:
    """Whether disaster mode is on, why, since when and who switched it."""

    on: bool
    reason: str = ""
    since: datetime | None = None
    by: str = ""


class _TownCache:
    """The town as this process last read it, and when."""

    def __init__(self) -> None:
        self.town: Town | None = None
        self.read_at = 0.0
        self.generation = 0  # counts clears: a read that overlapped one is not kept
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.generation += 1
            self.town = None


def _cache() -> _TownCache:
    return town_cache("town_settings", _TownCache)  # one per town


def _stored() -> dict[str, str]:
    return {row.key: row.value for row in db.session.execute(db.select(TownSetting)).scalars()}


# A town other than the default one starts from these: its name as the operator created it, and nothing else of the
# deployment's own town (the environment's TOWN_* describe that town: its office, number, website, greeting).
OTHER_TOWN_BANNER = "【災害時モード】避難情報は{name}のホームページと防災行政無線で確認してください。"
OTHER_TOWN_GREETING = ("現在、{name}は災害時の対応をしています。下のメニューから避難情報・緊急連絡先・{name}からのお知らせを"
                       "確認できます。命に関わるときは迷わず119番・110番へ。")


def defaults() -> dict[str, str]:
    """Return each setting's default: the environment's for the default town; for any other town its own name and
    empty fields for staff to fill in (never the default town's office, phone or website)."""
    ref = current_ref()
    if ref is not None and ref.id != DEFAULT_TOWN_ID:
        values = dict.fromkeys(DEFAULTS, "")
        values.update(name=ref.name, contact=ref.name, disaster_banner=OTHER_TOWN_BANNER.format(name=ref.name),
                      disaster_greeting=OTHER_TOWN_GREETING.format(name=ref.name))
        return values
    config = current_app.config
    return {key: config[setting] for key, setting in DEFAULTS.items()}


def town_name() -> str:
    """Return the name a page shows: the current town's, or TOWN_NAME on pages of no town (the operator's)."""
    if current_town_id() is None:
        return current_app.config["TOWN_NAME"]
    return current_town().name


def _build() -> Town:
    stored = _stored()
    values = {key: stored.get(key, default) for key, default in defaults().items()}
    quiet = stored.get("chat_quiet_minutes", "")
    return Town(**values, disaster=stored.get("disaster_mode") == "on", chats_open=stored.get("chat_active") == "on",
                chat_quiet_minutes=int(quiet) if quiet.isascii() and quiet.isdigit() else 0)


def current_town() -> Town:
    """Return the town as residents should see it now (read from the database at most every few seconds)."""
    cache = _cache()
    seconds = current_app.config.get("TOWN_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)
    town = cache.town
    if town is not None and time.monotonic() - cache.read_at < seconds:
        return town
    generation, read_at = cache.generation, time.monotonic()
    town = _build()
    with cache.lock:
        if cache.generation == generation:
            cache.town, cache.read_at = town, read_at
    return town


def stored_keys() -> set[str]:
    """Return the settings that staff have set (the others follow the environment)."""
    return {key for key in _stored() if key in DEFAULTS}


def disaster_state() -> DisasterState:
    """Return the current disaster-mode state."""
    stored = _stored()
    since = stored.get("disaster_since")
    return DisasterState(on=stored.get("disaster_mode") == "on", reason=stored.get("disaster_reason", ""),
                         since=datetime.fromisoformat(since) if since else None, by=stored.get("disaster_by", ""))


def problem(key: str, value: str) -> str | None:
    """Return, in Japanese, why a value cannot be this setting (the rules offices follow too), or None."""
    if has_control(value):
        return "見えない制御文字が入っています。貼り付けた文字を確認してください。"
    if key not in MULTILINE and has_control(value, one_line=True):
        return "改行は入れずに、1行で入力してください。"
    if key == "website" and value:
        return web_url_problem(value, "ホームページのアドレス")
    if key == "phone" and value:
        return phone_problem(value)
    return None


def _put(key: str, value: str, actor: str) -> None:
    row = keyed(TownSetting, key)
    if row is None:
        row = TownSetting(key=key)
        db.session.add(row)
    row.value, row.updated_at, row.updated_by = value, utcnow(), actor


def save(values: dict[str, str], actor: str) -> list[str]:
    """Store the settings that differ from what residents see now, audited, and commit; return their keys.

    Every door (the console form, the CLI, a script) passes the same rules; a bad value raises Invalid (a message per key).
    """
    problems = [Problem(FORM, key, reason) for key in DEFAULTS if key in values and (reason := problem(key, values[key]))]
    if problems:
        raise Invalid(problems)
    now = _build()
    before, after = {}, {}
    for key in DEFAULTS:
        if key in values and values[key] != getattr(now, key):
            before[key], after[key] = getattr(now, key), values[key]
            _put(key, values[key], actor)
    if after:
        audit.record(actor, "town.settings", "town", "町の設定", f"町の設定を変更（{len(after)}項目）", before, after)
    db.session.commit()
    return list(after)


def reset(key: str, actor: str) -> bool:
    """Forget a setting so the environment's default applies again, audited, and commit; False when it was not set."""
    if key not in DEFAULTS:
        raise KeyError(key)
    row = keyed(TownSetting, key)
    if row is None:
        return False
    default = defaults()[key]
    audit.record(actor, "town.settings_reset", "town", field_label(key), "町の設定を初期値に戻す", {key: row.value}, {key: default})
    db.session.delete(row)
    db.session.commit()
    return True


def set_disaster_mode(on: bool, reason: str, actor: str) -> None:
    """Switch disaster mode on or off with a reason, audited; the caller commits (bot.richmenu.mode switches the
    rich menu in the same transaction)."""
    before = disaster_state()
    now = utcnow()
    _put("disaster_mode", "on" if on else "off", actor)
    _put("disaster_reason", reason, actor)
    _put("disaster_since", now.isoformat(), actor)
    _put("disaster_by", actor, actor)
    audit.record(actor, "town.disaster_on" if on else "town.disaster_off", "town", "災害時モード",
                 summary=reason, before={"on": before.on, "reason": before.reason}, after={"on": on, "reason": reason})


# A committed change to the town's settings clears this process's copy, whoever wrote it (the console,
# set_disaster_mode's caller, the CLI): the next reply reads the new values.
clear_after_commit(TownSetting, lambda: _cache().clear())
