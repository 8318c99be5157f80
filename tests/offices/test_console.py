"""The 担当課 console: list, add, edit, history, audit, the entry's office select, and the Done-when path."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
import yaml

from sqlalchemy import select

from bot.extensions import db
from bot.models import AuditLog, Entry, Office, OfficeRevision
from tests.support import events
from tests.support.console import EDITOR, admin_client, console, editor_client, entry, form_of  # noqa: F401
from tests.support.linejson import actions

REPLY = "/v2/bot/message/reply"
NEW = {"key": "kyoiku", "name": "教育の担当課", "phone": "", "hours": "平日 8:45〜17:15", "email": "", "url": "",
       "place": "市役所2階", "source": "", "review_note": "電話番号は担当課で確認して入力してください。"}


def _office(key: str = "kyoiku") -> Office:
    return db.session.scalar(select(Office).where(Office.key == key))


def _add(client, **changes):
    return client.post("/admin/offices/new", data={**NEW, **changes})


def test_editor_adds_an_office_and_the_list_flags_the_missing_phone(console, editor_client):
    response = _add(editor_client)
    assert response.status_code == 302
    page = editor_client.get("/admin/offices").get_data(as_text=True)
    assert "教育の担当課" in page and "電話番号 未入力" in page
    with console.app_context():
        office = _office()
        assert (office.name, office.phone, office.place) == ("教育の担当課", "", "市役所2階")
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "office.create"))
        assert row.actor == EDITOR and row.target_id == "kyoiku"


def test_bad_input_is_a_japanese_error_and_saves_nothing(console, admin_client):
    for changes, message in (({"phone": "0123-45-6789 内線2"}, "電話番号は半角の数字"),
                             ({"url": "javascript:alert(1)"}, "http:// か https:// で始めて"),
                             ({"email": "nobody"}, "メールアドレスの形が正しくありません"),
                             ({"name": ""}, "担当課の名前を入力してください"),
                             ({"key": "教育課"}, "識別名は半角の英小文字"),
                             ({"name": "課" * 101}, "100文字以内"),
                             ({"phone": "1" * 21}, "電話番号は20文字以内")):
        response = _add(admin_client, **changes)
        assert response.status_code == 200, changes
        assert message in response.get_data(as_text=True), changes
    with console.app_context():
        assert db.session.scalar(select(Office.id)) is None
    assert _add(admin_client).status_code == 302
    duplicate = _add(admin_client, name="別の名前")
    assert "この識別名はすでに使われています" in duplicate.get_data(as_text=True)


def test_full_width_phone_typed_by_staff_is_stored_half_width(console, admin_client):
    _add(admin_client, phone="０１２３－４５－６７８９")
    with console.app_context():
        assert _office().phone == "0123-45-6789"


def test_edit_keeps_history_and_audit_in_japanese(console, admin_client):
    _add(admin_client)
    with console.app_context():
        office = _office()
        office_id, version = office.id, office.lock_version
    response = admin_client.post(f"/admin/offices/{office_id}",
                                 data={**NEW, "key": "changed", "phone": "0123-45-6789", "lock_version": version})
    assert response.status_code == 302
    with console.app_context():
        office = db.session.get(Office, office_id)
        assert (office.key, office.phone) == ("kyoiku", "0123-45-6789")  # the key never changes
        assert [r.reason for r in db.session.scalars(select(OfficeRevision).order_by(OfficeRevision.number))] == [
            "create", "edit"]
    history = admin_client.get(f"/admin/offices/{office_id}/history").get_data(as_text=True)
    assert "版2" in history and "電話番号" in history and "0123-45-6789" in history
    audit = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "担当課を編集" in audit and "担当課を追加" in audit


def test_a_stale_save_is_refused_and_the_input_kept(console, admin_client):
    _add(admin_client)
    with console.app_context():
        office_id, version = _office().id, _office().lock_version
    admin_client.post(f"/admin/offices/{office_id}", data={**NEW, "hours": "平日", "lock_version": version})
    stale = admin_client.post(f"/admin/offices/{office_id}",
                              data={**NEW, "phone": "0123-45-6789", "lock_version": version})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 200 and "別の担当者がこの担当課を保存しました" in page and "0123-45-6789" in page
    with console.app_context():
        assert _office().phone == ""


def test_office_names_are_escaped(console, admin_client):
    _add(admin_client, name="<script>alert(1)</script>")
    page = admin_client.get("/admin/offices").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_missing_office_is_404(admin_client):
    assert admin_client.get("/admin/offices/999999").status_code == 404
    assert admin_client.get("/admin/offices/999999/history").status_code == 404


def test_entry_form_offers_offices_and_refuses_an_unknown_one(console, admin_client):
    _add(admin_client)
    with console.app_context():
        lunch = entry("school-lunch-free")
        entry_id, form = lunch.id, form_of(lunch)
    page = admin_client.get(f"/admin/entries/{entry_id}").get_data(as_text=True)
    assert '<option value="kyoiku">教育の担当課</option>' in page
    bad = admin_client.post(f"/admin/entries/{entry_id}", data={**form, "office": "nosuch"})
    assert "担当課の一覧にない識別名です" in bad.get_data(as_text=True)
    assert admin_client.post(f"/admin/entries/{entry_id}", data={**form, "office": "kyoiku"}).status_code == 302
    with console.app_context():
        assert entry("school-lunch-free").office == "kyoiku"
    office_page = admin_client.get(f"/admin/offices/{_office_id(console)}").get_data(as_text=True)
    assert "給食費" in office_page  # the office lists the answers that name it


def _office_id(app) -> int:
    with app.app_context():
        return _office().id


def _tel_uris(fake_line, n: int) -> list[str]:
    message = fake_line.calls(REPLY)[n].body["messages"][0]
    return [a["uri"] for a in actions(message) if a["type"] == "uri" and a["uri"].startswith("tel:")]


def test_done_when_an_answer_shows_its_offices_phone_once_it_is_filled_in(console, admin_client, webhook, fake_line):
    console.config["TOWN_PHONE"] = ""  # no switchboard either: until the office's phone is in, no tel: at all
    _add(admin_client)
    with console.app_context():
        lunch = entry("school-lunch-free")
        entry_id, form = lunch.id, form_of(lunch)
    assert admin_client.post(f"/admin/entries/{entry_id}", data={**form, "office": "kyoiku"}).status_code == 302

    assert webhook([events.text("給食費ってタダになるの？")]).status_code == 200
    before = fake_line.calls(REPLY)[0].body["messages"][0]
    assert "教育の担当課" in json.dumps(before, ensure_ascii=False)
    assert _tel_uris(fake_line, 0) == []

    office_id = _office_id(console)
    with console.app_context():
        version = _office().lock_version
    saved = admin_client.post(f"/admin/offices/{office_id}",
                              data={**NEW, "phone": "0123-45-6789", "lock_version": version})
    assert saved.status_code == 302

    assert webhook([events.text("給食費ってタダになるの？")]).status_code == 200
    assert _tel_uris(fake_line, 1) == ["tel:0123-45-6789"]
    with console.app_context():
        assert db.session.scalar(select(Entry.office).where(Entry.slug == "school-lunch-free")) == "kyoiku"

    # 「人と話したい」 right after that answer names the topic's office and its phone.
    assert webhook([events.text("担当者につないで")]).status_code == 200
    contact = json.dumps(fake_line.calls(REPLY)[2].body["messages"], ensure_ascii=False)
    assert "教育の担当課（電話 0123-45-6789）が担当です" in contact


def test_readiness_lists_offices_without_phone_and_their_entries(console, admin_client):
    _add(admin_client)
    with console.app_context():
        lunch = entry("school-lunch-free")
        entry_id, form = lunch.id, form_of(lunch)
    admin_client.post(f"/admin/entries/{entry_id}", data={**form, "office": "kyoiku"})
    page = admin_client.get("/admin/readiness").get_data(as_text=True)
    assert "電話番号が未入力の担当課（1件）" in page and "担当課「教育の担当課」の電話番号が未入力" in page
    with console.app_context():
        office_id, version = _office().id, _office().lock_version
    admin_client.post(f"/admin/offices/{office_id}", data={**NEW, "phone": "0123-45-6789", "lock_version": version})
    page = admin_client.get("/admin/readiness").get_data(as_text=True)
    assert "電話番号が未入力の担当課" not in page and "担当課「教育の担当課」の電話番号が未入力" not in page


def _zip_with(archive_bytes: bytes, offices: list[dict] | None, lunch_office: str | None) -> bytes:
    """Return an exported zip with offices.yaml replaced and school-lunch-free naming an office."""
    source = zipfile.ZipFile(io.BytesIO(archive_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith("/offices.yaml") and offices is not None:
                data = yaml.safe_dump(offices, allow_unicode=True).encode()
            if name.endswith("/school-lunch-free.yaml") and lunch_office:
                data += f"office: {lunch_office}\n".encode()
            target.writestr(name, data)
    return out.getvalue()


def _upload(client, raw: bytes):
    return client.post("/admin/import", data={"file": (io.BytesIO(raw), "pack.zip")},
                       content_type="multipart/form-data")


def test_zip_export_and_import_carry_offices(console, admin_client):
    _add(admin_client, phone="0123-45-6789")
    exported = admin_client.get("/admin/export.zip").data
    text = zipfile.ZipFile(io.BytesIO(exported)).read("knowledge/offices.yaml").decode()
    assert yaml.safe_load(text)[0]["phone"] == "0123-45-6789"
    new_office = {**NEW, "key": "kosodate", "name": "子育ての担当課"}
    raw = _zip_with(exported, [yaml.safe_load(text)[0], new_office], "kosodate")
    preview = _upload(admin_client, raw).get_data(as_text=True)
    assert "担当課 2件" in preview
    token = preview.split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]
    assert admin_client.post("/admin/import/apply", data={"token": token}).status_code == 302
    with console.app_context():
        assert _office("kosodate").name == "子育ての担当課"
        assert entry("school-lunch-free").office == "kosodate"
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "office.import")).target_id == "kosodate"


def test_zip_import_refuses_bad_offices_and_unknown_references(console, admin_client):
    exported = admin_client.get("/admin/export.zip").data
    bad = _upload(admin_client, _zip_with(exported, [{**NEW, "phone": "tel:110"}], None)).get_data(as_text=True)
    assert "電話番号は半角の数字" in bad
    unknown = _upload(admin_client, _zip_with(exported, None, "nosuch")).get_data(as_text=True)
    assert "担当課の一覧にない識別名です" in unknown
    with console.app_context():
        assert db.session.scalar(select(Office.id)) is None


def test_a_key_with_a_nul_is_refused_before_it_reaches_the_database(console):
    # The console refuses a NUL in a form body (400) before any view; save_office must refuse it on its own too,
    # without the duplicate-key query: PostgreSQL refuses a NUL even in a WHERE clause.
    from bot.core.problems import Invalid
    from bot.offices.store import save_office

    with console.app_context():
        with pytest.raises(Invalid) as caught:
            save_office(None, {**NEW, "key": "kyo\x00iku"}, "staff@example.invalid")
        assert "識別名は半角の英小文字" in " ".join(caught.value.errors["key"])
