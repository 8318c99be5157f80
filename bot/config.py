"""Settings read from the environment (12-factor)."""
from __future__ import annotations

import os
from pathlib import Path

DEFAULT_LINE_API = "https://api.line.me"
DEFAULT_WEBSITE = "https://www.city.ashibetsu.hokkaido.jp/"
DEFAULT_DISASTER_BANNER = "【災害時モード】避難情報は市のホームページと防災行政無線で確認してください。"
DEFAULT_DISASTER_GREETING = (
    "現在、芦別市は災害時の対応をしています。下のメニューから避難情報・緊急連絡先・市からのお知らせを確認できます。"
    "命に関わるときは迷わず119番・110番へ。")
DEV_SECRET_KEY = "dev-only-insecure-key"
# Session cookies are signed with SECRET_KEY: a short key could be guessed offline from one cookie.
MIN_SECRET_KEY_BYTES = 32


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


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def from_environment(instance_path: str) -> dict:
    """Collect every setting the service reads from the environment."""
    env = os.environ.get
    production = env("APP_ENV", "development") == "production"
    return {
        "APP_ENV": env("APP_ENV", "development"),
        "SECRET_KEY": env("SECRET_KEY", DEV_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url(env("DATABASE_URL"), instance_path),
        "LINE_CHANNEL_SECRET": env("LINE_CHANNEL_SECRET", ""),
        "LINE_CHANNEL_ACCESS_TOKEN": env("LINE_CHANNEL_ACCESS_TOKEN", ""),
        "LINE_API_ENDPOINT": env("LINE_API_ENDPOINT", DEFAULT_LINE_API),
        "LINE_API_TIMEOUT": float(env("LINE_API_TIMEOUT", "1.0")),
        "RICHMENU_API_TIMEOUT": float(env("RICHMENU_API_TIMEOUT", "10")),  # image uploads take longer than replies
        "LINE_REPLY_THREADS": _int("LINE_REPLY_THREADS", 16),
        # Reply threads and request threads (replying inline when the queue is full) share one pool of connections.
        "LINE_API_CONNECTIONS": _int("LINE_API_CONNECTIONS", _int("LINE_REPLY_THREADS", 16) + _int("WEB_THREADS", 8)),
        "LINE_REPLY_QUEUE": _int("LINE_REPLY_QUEUE", 1000),
        "TOWN_NAME": env("TOWN_NAME", "芦別市"),
        "TOWN_CONTACT": env("TOWN_CONTACT", "芦別市役所"),
        "TOWN_PHONE": env("TOWN_PHONE", ""),
        "TOWN_WEBSITE": env("TOWN_WEBSITE", DEFAULT_WEBSITE),
        # Defaults only: admins change these in the console (町の設定), which the database keeps.
        "TOWN_HOURS": env("TOWN_HOURS", ""),
        # Every date and time staff and residents see (and every export file name) is in this zone; storage is UTC.
        "TOWN_TIMEZONE": env("TOWN_TIMEZONE", "Asia/Tokyo"),
        # How long one process keeps the town's settings before it reads them again (another worker's change).
        "TOWN_CACHE_SECONDS": _int("TOWN_CACHE_SECONDS", 5),
        # The service's public address (https://bot.example.jp/), for links in LINE, feeds and signage URLs.
        # Required in production (check_public_base_url); in development, empty means the request's own host.
        "PUBLIC_BASE_URL": env("PUBLIC_BASE_URL", ""),
        "TOWN_DISASTER_BANNER": env("TOWN_DISASTER_BANNER", DEFAULT_DISASTER_BANNER),
        "TOWN_DISASTER_GREETING": env("TOWN_DISASTER_GREETING", DEFAULT_DISASTER_GREETING),
        # The power and water suppliers residents call in an outage: empty until staff confirm them.
        "TOWN_POWER_NAME": env("TOWN_POWER_NAME", ""),
        "TOWN_POWER_CONTACT": env("TOWN_POWER_CONTACT", ""),
        "TOWN_WATER_NAME": env("TOWN_WATER_NAME", ""),
        "TOWN_WATER_CONTACT": env("TOWN_WATER_CONTACT", ""),
        "KNOWLEDGE_DIR": env("KNOWLEDGE_DIR", str(Path(__file__).resolve().parent.parent / "knowledge")),
        "SIMULATOR_ENABLED": _flag("SIMULATOR_ENABLED", not production),
        "LOG_HASH_KEY": env("LOG_HASH_KEY", ""),
        "LOG_RETENTION_DAYS": _int("LOG_RETENTION_DAYS", 180),
        "MAX_WEBHOOK_BYTES": _int("MAX_WEBHOOK_BYTES", 1_000_000),
        # Every other door (console forms): an entry with every field full is well under 200 KB.
        "MAX_FORM_BYTES": _int("MAX_FORM_BYTES", 512 * 1024),
        "MAX_IMPORT_BYTES": _int("MAX_IMPORT_BYTES", 20 * 1024 * 1024),
        # Above LINE's 1 MB so a slightly large image gets the editor's own message, not a bare 413.
        "MAX_RICHMENU_UPLOAD_BYTES": _int("MAX_RICHMENU_UPLOAD_BYTES", 2 * 1024 * 1024),
        "DECISION_CACHE_SIZE": _int("DECISION_CACHE_SIZE", 4096),
        "DB_PING_IDLE_SECONDS": float(env("DB_PING_IDLE_SECONDS", "10")),
        # Staff sessions end after this long without a request, and at the latest this long after logging in.
        "SESSION_IDLE_MINUTES": _int("SESSION_IDLE_MINUTES", 60),
        "SESSION_MAX_HOURS": _int("SESSION_MAX_HOURS", 10),
        # Per staff member and hour, counted in the shared limiter (bot/admin/limits.py): generous, against scripts.
        "INBOX_ACTIONS_PER_HOUR": _int("INBOX_ACTIONS_PER_HOUR", 600),
        "KNOWLEDGE_IMPORTS_PER_HOUR": _int("KNOWLEDGE_IMPORTS_PER_HOUR", 60),
        "CONSOLE_EXPORTS_PER_HOUR": _int("CONSOLE_EXPORTS_PER_HOUR", 120),
        # How many reverse proxies (nginx, a load balancer) stand in front of the app and set X-Forwarded-*.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # The 受付完了メール of residents' applications (bot/forms/mail.py); no SMTP_HOST: no mail, and the
        # done page says so.
        "SMTP_HOST": env("SMTP_HOST", ""),
        "SMTP_PORT": _int("SMTP_PORT", 587),
        "SMTP_USER": env("SMTP_USER", ""),
        "SMTP_PASSWORD": env("SMTP_PASSWORD", ""),
        "SMTP_FROM": env("SMTP_FROM", ""),
        "SMTP_STARTTLS": _flag("SMTP_STARTTLS", True),
        "SMTP_TIMEOUT": float(env("SMTP_TIMEOUT", "10")),
    }


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
    from bot.textrules import web_url_problem

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
