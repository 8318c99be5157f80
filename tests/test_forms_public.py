"""The public form pages: input → confirm → done, bad input, CSRF, honeypot, rate limit, double submit."""
from __future__ import annotations

import logging

from sqlalchemy import func, select

from bot.extensions import db
from bot.models import FormSubmission, FormVersion
from tests.forms_support import GOOD, URL, apply, hidden, open_form, post_confirm, post_submit, receipt


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(FormSubmission))


def test_the_form_page_labels_every_field(loaded_app):
    html = open_form(loaded_app.test_client())
    for key in ("name", "kana", "email", "prefecture", "city", "contact_via", "consent"):
        assert f'for="f-{key}"' in html and f'id="f-{key}"' in html
    assert "<legend>芦別とのご縁" in html and 'for="f-relation-1"' in html
    assert "個人情報の取扱い" in html and "<script" not in html


def test_a_resident_applies_and_gets_a_receipt(loaded_app):
    client = loaded_app.test_client()
    done = apply(client)
    number = receipt(done)
    assert number and len(number) == 11 and number[1] == "-" and number[6] == "-"
    with loaded_app.app_context():
        row = db.session.scalar(select(FormSubmission))
        assert row.receipt_no == number and row.status == "new" and row.channel == "web"
        assert row.answers["name"] == "芦別 花子" and row.answers["relation"] == ["芦別出身", "ふるさと納税"]
        assert row.answers["consent"] is True and row.email_key and "@" not in row.email_key
        assert row.version.slug == "supporters-club" and row.version.version == 1
    assert "登録を取り消す" in done


def test_missing_required_fields_are_named_next_to_each_field(loaded_app):
    client = loaded_app.test_client()
    response = post_confirm(client, {"f-name": "芦別 花子"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "「ふりがな」を入力してください。" in html and "「芦別とのご縁」を1つ以上選んでください。" in html
    assert 'id="f-kana-error"' in html and 'aria-describedby="f-kana-help f-kana-error"' in html
    assert 'aria-invalid="true"' in html and 'href="#f-kana"' in html and 'href="#f-relation-1"' in html
    assert 'value="芦別 花子"' in html  # nothing lost
    assert _count(loaded_app) == 0
