"""Make screen keys, store only their SHA-256 digest, and find the live screen a key belongs to."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select

from bot.extensions import db
from bot.models import Screen

# secrets.token_urlsafe(24) gives 32 characters of [A-Za-z0-9_-]; anything else is not a key.
KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")


def new_key() -> str:
    """Return a fresh, unguessable screen key."""
    return secrets.token_urlsafe(24)


def digest(key: str) -> str:
    """Return the hex SHA-256 digest under which a key is stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def live_screen(key: str) -> Screen | None:
    """Return the live (not retired) screen for a key, or None; one indexed lookup at most."""
    if not KEY_SHAPE.fullmatch(key):
        return None  # fuzzed paths cost no query at all
    wanted = digest(key)
    screen = db.session.scalar(select(Screen).where(Screen.key_digest == wanted))
    # The lookup already matched; comparing again in constant time keeps the check honest if lookups change.
    if screen is None or screen.retired_at is not None or not hmac.compare_digest(screen.key_digest, wanted):
        return None
    return screen
