"""Settings read from the environment (12-factor): the one place that reads and parses them.

Every variable is read here, by one typed reader each (text, integer, number, flag, url, time zone), with its
bounds. A value the service cannot use stops the start with one English message that names the variable and
what it may be (SettingError); nothing falls back to a default in silence.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_LINE_API = "https://api.line.me"
DEFAULT_WEBSITE = "https://www.city.ashibetsu.hokkaido.jp/"
DEFAULT_DISASTER_BANNER = "【災害時モード】避難情報は市のホームページと防災行政無線で確認してください。"
DEFAULT_DISASTER_GREETING = (
    "現在、芦別市は災害時の対応をしています。下のメニューから避難情報・緊急連絡先・市からのお知らせを確認できます。"
    "命に関わるときは迷わず119番・110番へ。")
DEV_SECRET_KEY = "dev-only-insecure-key"
# Session cookies are signed with SECRET_KEY: a short key could be guessed offline from one cookie.
MIN_SECRET_KEY_BYTES = 32

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
DAY = 24 * 3600
# Counts and byte sizes: far above any sensible value, low enough that a typo (an extra 0 or two) is caught.
MANY = 10**9


class SettingError(RuntimeError):
    """One or more environment variables have values the service cannot use."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Bad settings in the environment: " + "; ".join(problems))


class Environment:
    """Typed readers over the environment; each bad value is noted, and `check()` raises them all at once."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ
        self.problems: list[str] = []

    def _raw(self, name: str) -> str | None:
        """Return the variable's value, or None when it is unset or empty (empty means: use the default)."""
        value = self.environ.get(name)
        return None if value is None or value.strip() == "" else value.strip()

    def _bad(self, name: str, value: str, allowed: str) -> None:
        self.problems.append(f"{name} must be {allowed}, not {value[:60]!r}")

    def text(self, name: str, default: str = "") -> str:
        """Return the value as written (an empty value is the empty string, not the default)."""
        return self.environ.get(name, default)

    def integer(self, name: str, default: int, low: int = 0, high: int = MANY) -> int:
        """Return a whole number from low to high."""
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            self._bad(name, value, f"a whole number from {low} to {high}")
            return default
        return number

    def number(self, name: str, default: float, low: float = 0.0, high: float = DAY, *,
               above_low: bool = True) -> float:
        """Return a finite number in (low, high] (or [low, high] with above_low=False)."""
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        ok = math.isfinite(number) and number <= high and (number > low if above_low else number >= low)
        if not ok:
            lower = f"above {low:g}" if above_low else f"from {low:g}"
            self._bad(name, value, f"a number {lower} up to {high:g}")
            return default
        return number

    def flag(self, name: str, default: bool) -> bool:
        """Return on/off from 1/true/yes/on or 0/false/no/off (any case)."""
        value = self._raw(name)
        if value is None:
            return default
        if value.lower() in TRUE_WORDS | FALSE_WORDS:
            return value.lower() in TRUE_WORDS
        self._bad(name, value, "one of 1, true, yes, on (on) or 0, false, no, off (off)")
        return default

    def url(self, name: str, default: str = "") -> str:
        """Return an http(s) address with a host; unset: the default; set but empty: empty (as text() does)."""
        value = self._raw(name)
        if value is None:
            return self.text(name, default).strip()
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
            self._bad(name, value, "an http:// or https:// address with a host, like https://example.jp/")
            return default
        return value

    def zone(self, name: str, default: str) -> str:
        """Return an IANA time zone name (Asia/Tokyo)."""
        value = self._raw(name)
        if value is None:
            return default
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self._bad(name, value, "a time zone name like Asia/Tokyo")
            return default
        return value

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        """Return one of the allowed words."""
        value = self._raw(name)
        if value is None:
            return default
        if value not in allowed:
            self._bad(name, value, "one of " + ", ".join(allowed))
            return default
        return value

    def check(self) -> None:
        """Raise SettingError naming every bad variable read so far."""
        if self.problems:
            raise SettingError(self.problems)


def database_url(raw: str | None, instance_path: str) -> str:
    """Return a SQLAlchemy URL, defaulting to SQLite under instance/ and accepting postgres://."""
    if not raw:
        return "sqlite:///" + str(Path(instance_path) / "ashibetsu-bot.sqlite3")
    # Heroku-style URLs say postgres://, which SQLAlchemy 2 no longer accepts.
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://"):]
    if raw.startswith("postgresql://"):
        raw = "postgresql+psycopg://" + raw[len("postgresql://"):]
    return raw


def from_environment(instance_path: str, environ: Mapping[str, str] | None = None) -> dict:
    """Collect every setting the service reads from the environment; raise SettingError naming any bad value."""
    env = Environment(environ)
    text, integer, number, flag, url = env.text, env.integer, env.number, env.flag, env.url
    app_env = env.choice("APP_ENV", "development", ("development", "production"))
    reply_threads = integer("LINE_REPLY_THREADS", 16, 0, 256)
    town_zone = env.zone("TOWN_TIMEZONE", "Asia/Tokyo")
    migration_url = text("DATABASE_MIGRATION_URL").strip()
    settings = {
        "APP_ENV": app_env,
        "SECRET_KEY": text("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url(text("DATABASE_URL") or None, instance_path),
        # The tables' owner, for migrations (`flask db …`); empty: DATABASE_URL. On PostgreSQL the app's own role
        # must not own the tables, or row-level security would not bind it (bot/dbroles.py, docs/operations.md).
        "DATABASE_MIGRATION_URL": database_url(migration_url, instance_path) if migration_url else "",
        "LINE_CHANNEL_SECRET": text("LINE_CHANNEL_SECRET"),
        "LINE_CHANNEL_ACCESS_TOKEN": text("LINE_CHANNEL_ACCESS_TOKEN"),
        "LINE_API_ENDPOINT": url("LINE_API_ENDPOINT", DEFAULT_LINE_API),
        "LINE_API_TIMEOUT": number("LINE_API_TIMEOUT", 1.0, high=300),
        "RICHMENU_API_TIMEOUT": number("RICHMENU_API_TIMEOUT", 10.0, high=300),  # image uploads: slower than replies
        "LINE_REPLY_THREADS": reply_threads,
        # Reply threads and request threads (replying inline when the queue is full) share one pool of connections.
        "LINE_API_CONNECTIONS": integer("LINE_API_CONNECTIONS",
                                        reply_threads + integer("WEB_THREADS", 8, 1, 1024), 1, 10_000),
        "LINE_REPLY_QUEUE": integer("LINE_REPLY_QUEUE", 1000, 0, 1_000_000),
        "TOWN_NAME": text("TOWN_NAME", "芦別市"),
        "TOWN_CONTACT": text("TOWN_CONTACT", "芦別市役所"),
        "TOWN_PHONE": text("TOWN_PHONE"),
        "TOWN_WEBSITE": url("TOWN_WEBSITE", DEFAULT_WEBSITE),
        # Defaults only: admins change these in the console (町の設定), which the database keeps.
        "TOWN_HOURS": text("TOWN_HOURS"),
        # Every date and time staff and residents see (and every export file name) is in this zone; storage is UTC.
        "TOWN_TIMEZONE": town_zone,
        # How long one process keeps the town's settings before it reads them again (another worker's change).
        "TOWN_CACHE_SECONDS": integer("TOWN_CACHE_SECONDS", 5, 0, DAY),
        # Many towns: paths without a /<town>/ prefix, and commands without --town, serve this town (its slug).
        # Empty: none (hosting many towns, every door is under its town's prefix). See docs/towns.md.
        "DEFAULT_TOWN": text("DEFAULT_TOWN", "default"),
        # How many towns' knowledge indexes, matchers and settings one process keeps (least recently used dropped).
        "TOWN_CACHE_TOWNS": integer("TOWN_CACHE_TOWNS", 64, 1, 100_000),
        # Fernet keys (comma-separated; the first encrypts) for the towns' LINE credentials stored in the database.
        "TOWN_SECRETS_KEY": text("TOWN_SECRETS_KEY"),
        # The service's public address (https://bot.example.jp/), for links in LINE, feeds and signage URLs.
        # Required in production (check_public_base_url); in development, empty means the request's own host.
        "PUBLIC_BASE_URL": text("PUBLIC_BASE_URL"),
        "TOWN_DISASTER_BANNER": text("TOWN_DISASTER_BANNER", DEFAULT_DISASTER_BANNER),
        "TOWN_DISASTER_GREETING": text("TOWN_DISASTER_GREETING", DEFAULT_DISASTER_GREETING),
        # The power and water suppliers residents call in an outage: empty until staff confirm them.
        "TOWN_POWER_NAME": text("TOWN_POWER_NAME"),
        "TOWN_POWER_CONTACT": text("TOWN_POWER_CONTACT"),
        "TOWN_WATER_NAME": text("TOWN_WATER_NAME"),
        "TOWN_WATER_CONTACT": text("TOWN_WATER_CONTACT"),
        "KNOWLEDGE_DIR": text("KNOWLEDGE_DIR", str(Path(__file__).resolve().parent.parent / "knowledge")),
        "SIMULATOR_ENABLED": flag("SIMULATOR_ENABLED", app_env != "production"),
        "LOG_HASH_KEY": text("LOG_HASH_KEY"),
        "LOG_RETENTION_DAYS": integer("LOG_RETENTION_DAYS", 180, 0, 100 * 366),
        # 施設予約 (bot/booking): days after a booking's day its personal data is kept; each town changes its own
        # (管理画面 → 施設予約 → 保存期間). `flask booking purge` clears what is older.
        "BOOKING_RETENTION_DAYS": integer("BOOKING_RETENTION_DAYS", 365, 1, 100 * 366),
        # オンライン窓口 (bot/chat): defaults only; admins set the counter in the console (町の設定 → オンライン窓口).
        # No hours until a town sets them: the counter then opens only by hand (`flask chat open`).
        "CHAT_HOURS": text("CHAT_HOURS"),
        "CHAT_DAYS": text("CHAT_DAYS", "月火水木金"),
        "CHAT_QUIET_MINUTES": integer("CHAT_QUIET_MINUTES", 60, 1, 7 * 24 * 60),
        # Empty: no monthly limit on pushes (地方公共団体プラン); a number: the channel's monthly quota.
        "CHAT_PUSH_QUOTA": text("CHAT_PUSH_QUOTA"),
        # LINE keeps a user's image up to 10 MB; the counter keeps at most this many bytes and photos per chat.
        "CHAT_PHOTO_MAX_BYTES": integer("CHAT_PHOTO_MAX_BYTES", 5 * 1024 * 1024, 1),
        "CHAT_PHOTOS_PER_CHAT": integer("CHAT_PHOTOS_PER_CHAT", 10, 0, 1000),
        "MAX_WEBHOOK_BYTES": integer("MAX_WEBHOOK_BYTES", 1_000_000, 1),
        # Every other door (console forms): an entry with every field full is well under 200 KB.
        "MAX_FORM_BYTES": integer("MAX_FORM_BYTES", 512 * 1024, 1),
        "MAX_IMPORT_BYTES": integer("MAX_IMPORT_BYTES", 20 * 1024 * 1024, 1),
        # Above LINE's 1 MB so a slightly large image gets the editor's own message, not a bare 413.
        "MAX_RICHMENU_UPLOAD_BYTES": integer("MAX_RICHMENU_UPLOAD_BYTES", 2 * 1024 * 1024, 1),
        # Per process: the matcher's recent decisions (per knowledge version) and the safety rules' recent verdicts
        # (per safety.yaml); 0 judges and matches every message afresh.
        "DECISION_CACHE_SIZE": integer("DECISION_CACHE_SIZE", 4096, 0, 10_000_000),
        "DB_PING_IDLE_SECONDS": number("DB_PING_IDLE_SECONDS", 10.0, above_low=False),
        # Staff sessions end after this long without a request, and at the latest this long after logging in.
        "SESSION_IDLE_MINUTES": integer("SESSION_IDLE_MINUTES", 60, 1, 366 * 24 * 60),
        "SESSION_MAX_HOURS": integer("SESSION_MAX_HOURS", 10, 1, 366 * 24),
        # Per staff member and hour, counted in the shared limiter (bot/core/limits.py): generous, against scripts.
        "INBOX_ACTIONS_PER_HOUR": integer("INBOX_ACTIONS_PER_HOUR", 600),
        "KNOWLEDGE_IMPORTS_PER_HOUR": integer("KNOWLEDGE_IMPORTS_PER_HOUR", 60),
        "CONSOLE_EXPORTS_PER_HOUR": integer("CONSOLE_EXPORTS_PER_HOUR", 120),
        # How many reverse proxies (nginx, a load balancer) stand in front of the app and set X-Forwarded-*.
        "TRUSTED_PROXIES": integer("TRUSTED_PROXIES", 0, 0, 10),
        # The 受付完了メール of residents' applications (bot/forms/mail.py); no SMTP_HOST: no mail, and the
        # done page says so.
        "SMTP_HOST": text("SMTP_HOST"),
        "SMTP_PORT": integer("SMTP_PORT", 587, 1, 65535),
        "SMTP_USER": text("SMTP_USER"),
        "SMTP_PASSWORD": text("SMTP_PASSWORD"),
        "SMTP_FROM": text("SMTP_FROM"),
        "SMTP_STARTTLS": flag("SMTP_STARTTLS", True),
        "SMTP_TIMEOUT": number("SMTP_TIMEOUT", 10.0, high=300),
        # The forms (bot/forms/): link and draft lifetimes in seconds, per-client limits on the public pages.
        "FORM_LINK_MAX_AGE": integer("FORM_LINK_MAX_AGE", 3600, 1),
        "FORM_DRAFT_MAX_AGE": integer("FORM_DRAFT_MAX_AGE", 2 * 3600, 1),
        "FORM_WITHDRAW_MAX_AGE": integer("FORM_WITHDRAW_MAX_AGE", 400 * DAY, 1),
        "FORM_SUBMITS_PER_WINDOW": integer("FORM_SUBMITS_PER_WINDOW", 10),
        "FORM_POSTS_PER_WINDOW": integer("FORM_POSTS_PER_WINDOW", 60),
        "FORM_RATE_WINDOW_SECONDS": integer("FORM_RATE_WINDOW_SECONDS", 600, 1, 7 * DAY),
        "MAX_PUBLIC_FORM_BYTES": integer("MAX_PUBLIC_FORM_BYTES", 256 * 1024, 1),
        # Notices (bot/notices/). Topics residents can subscribe to: "slug=Name:category|category, ..." or empty
        # to use the pack's categories.
        "NOTICE_TOPICS": text("NOTICE_TOPICS"),
        "NOTICE_TIMEZONE": env.zone("NOTICE_TIMEZONE", town_zone),
        # Sends that fall in quiet hours wait for the morning; empty disables quiet hours.
        "NOTICE_QUIET_HOURS": text("NOTICE_QUIET_HOURS", "21:00-08:00"),
        # The two-person rule: someone other than the author (an admin) approves before anything is sent.
        "NOTICE_APPROVAL_REQUIRED": flag("NOTICE_APPROVAL_REQUIRED", True),
        # Test sends each staff member may make per hour (to registered staff test recipients only).
        "NOTICE_TEST_SENDS_PER_HOUR": integer("NOTICE_TEST_SENDS_PER_HOUR", 10),
        "NOTICE_SEND_TIMEOUT": number("NOTICE_SEND_TIMEOUT", 10.0, high=300),
        # A claimed batch whose worker went silent this long is taken over by another worker.
        "NOTICE_LEASE_SECONDS": number("NOTICE_LEASE_SECONDS", 120.0),
        "NOTICE_MAX_ATTEMPTS": integer("NOTICE_MAX_ATTEMPTS", 10, 1, 1000),
        "NOTICE_RETRY_BASE_SECONDS": number("NOTICE_RETRY_BASE_SECONDS", 2.0),
        "NOTICE_RETRY_MAX_SECONDS": number("NOTICE_RETRY_MAX_SECONDS", 300.0),
        "NOTICE_POLL_SECONDS": number("NOTICE_POLL_SECONDS", 5.0, high=3600),
        # Run the worker inside `flask run` (development only) so the embedded default sends due notices.
        "NOTICE_DEV_WORKER": flag("NOTICE_DEV_WORKER", False),
        # Signage (bot/signage/): how often a screen asks for new content (and reports it is alive; a new notice
        # shows within this), and how long each notice stays on the screen before the next one.
        "SIGNAGE_POLL_SECONDS": integer("SIGNAGE_POLL_SECONDS", 10, 1, 3600),
        "SIGNAGE_ROTATE_SECONDS": integer("SIGNAGE_ROTATE_SECONDS", 12, 1, 3600),
        # The QR code for notices without a link: the town's LINE account (https://line.me/R/ti/p/@…); empty: website.
        "LINE_ADD_FRIEND_URL": url("LINE_ADD_FRIEND_URL"),
    }
    env.check()
    return settings


def check_secret_key(settings: dict) -> None:
    """Refuse to run in production with the development key or a key too short to sign sessions safely."""
    if settings["APP_ENV"] != "production":
        return
    key = settings["SECRET_KEY"]
    if key == DEV_SECRET_KEY:
        raise RuntimeError("Set SECRET_KEY: the development key must not be used in production.")
    size = len(key.encode() if isinstance(key, str) else key)
    if size < MIN_SECRET_KEY_BYTES:
        raise RuntimeError(
            f"SECRET_KEY は本番環境では{MIN_SECRET_KEY_BYTES}バイト以上にしてください（今は{size}バイト）。"
            " 作り方: python -c 'import secrets; print(secrets.token_urlsafe(48))'")


def check_public_base_url(settings: dict) -> None:
    """Refuse to run in production without PUBLIC_BASE_URL: links must never follow a request's Host header."""
    if settings["APP_ENV"] != "production":
        return
    from bot.core.textrules import web_url_problem

    url = str(settings.get("PUBLIC_BASE_URL") or "").strip()
    if not url:
        raise RuntimeError(
            "Set PUBLIC_BASE_URL (for example https://bot.example.jp/): in production (APP_ENV=production) links in "
            "LINE messages, the Atom feed and signage are built from it, never from a request's Host header. "
            "PUBLIC_BASE_URL を本番環境の公開アドレスに設定してください。")
    problem = web_url_problem(url, "PUBLIC_BASE_URL")
    if problem or not url.startswith("https://"):
        raise RuntimeError(f"PUBLIC_BASE_URL must be the service's https address, like https://bot.example.jp/ "
                           f"(now {url[:100]!r}). {problem or 'PUBLIC_BASE_URL は https:// で始めてください'}")
