"""Which forms exist and their LINE button labels, from a per-process cache.

Answers ask this on every turn (bot/forms/line.py); a form import forgets it (bot/forms/store.py). Both build on
this module, which imports only the models, so neither has to import the other.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from flask import current_app
from sqlalchemy import select

from bot.core.tenancy import town_cache
from bot.extensions import db
from bot.models import FormVersion

DEFAULT_BUTTON = "申し込む"
# Asked once a minute at most: answers must not wait on it.
_CACHE_SECONDS = 60.0
_cache_lock = threading.Lock()


def _cache() -> dict[str, Any]:
    return town_cache("forms_line", lambda: {"at": -_CACHE_SECONDS, "forms": {}})  # one per town


def buttons() -> dict[str, str]:
    """Return {form slug: LINE button label} for every form, from a cache refreshed once a minute."""
    cache, now = _cache(), time.monotonic()
    if now - cache["at"] < _CACHE_SECONDS:
        return cache["forms"]
    with _cache_lock:
        if now - cache["at"] >= _CACHE_SECONDS:
            forms = {}
            for version in db.session.scalars(select(FormVersion).order_by(FormVersion.version)):
                forms[version.slug] = version.definition.get("line_button") or DEFAULT_BUTTON
            cache.update(at=now, forms=forms)
    return cache["forms"]


def forget() -> None:
    """Make the next answer read the forms again (after an import in this process)."""
    _cache()["at"] = -_CACHE_SECONDS
