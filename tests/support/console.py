"""Helpers for the console tests: staff accounts, logged-in clients and CSRF switched off or on."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.staff.accounts import create_user
from bot.extensions import db
from bot.models import Entry

PASSWORD = "correct horse battery"
ADMIN = "admin@example.invalid"
EDITOR = "editor@example.invalid"


def make_users(app) -> None:
    """Create one admin and one editor."""
    with app.app_context():
        create_user(ADMIN, "admin", PASSWORD)
        create_user(EDITOR, "editor", PASSWORD)


def login(client, email: str, password: str = PASSWORD, **kw):
    """Post the login form (CSRF must be off or the token included)."""
    return client.post("/admin/login", data={"email": email, "password": password, **kw})


def csrf_token(client, path: str = "/admin/login") -> str:
    """Return the CSRF token of the form on a page."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def entry(slug: str) -> Entry:
    """Return an entry by slug (inside an app context)."""
    return db.session.scalar(select(Entry).where(Entry.slug == slug))


def form_of(e: Entry, **changes) -> dict:
    """Return an edit-form post for an entry, with changes applied."""
    data = {
        "title": e.title, "category": e.category, "status": e.status, "answer": e.answer,
        "questions": "\n".join(e.questions), "keywords": "\n".join(e.keywords), "url": e.url,
        "contact": e.contact, "source": e.source,
        "updated_on": e.updated_on.isoformat() if e.updated_on else "",
        "review_by": e.review_by.isoformat() if e.review_by else "",
        "review_note": e.review_note, "lock_version": str(e.lock_version),
    }
    data.update(changes)
    return data


@pytest.fixture
def console(loaded_app):
    """Return the loaded app with CSRF off (tested on its own) and two staff accounts."""
    loaded_app.config["WTF_CSRF_ENABLED"] = False
    make_users(loaded_app)
    return loaded_app


@pytest.fixture
def admin_client(console):
    client = console.test_client()
    assert login(client, ADMIN).status_code == 302
    return client


@pytest.fixture
def editor_client(console):
    client = console.test_client()
    assert login(client, EDITOR).status_code == 302
    return client
