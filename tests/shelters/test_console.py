"""管理画面 → 避難所: add, edit, the two-tap status change, audit, CSRF, bad input; the pack's file and kb check."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from sqlalchemy import select

from bot.extensions import db
from bot.pack import Invalid, read_pack
from bot.pack import export_pack, import_pack
from bot.models import AuditLog, Shelter
from tests.support.console import (  # noqa: F401  (fixtures)
    ADMIN, EDITOR, admin_client, console, csrf_token, editor_client, login, make_users,
)

NEW = {"key": "shimin-kaikan", "name": "試験会館", "address": "芦別市試験町1-1", "kinds": ["flood", "earthquake"],
       "capacity": "２００", "note": "ペットはケージで", "source": "", "review_note": ""}


def _shelter(key: str = "shimin-kaikan") -> Shelter:
    return db.session.scalar(select(Shelter).where(Shelter.key == key))


def test_editor_adds_a_shelter_and_sets_its_status_with_an_audit_row(console, editor_client):
    assert editor_client.post("/admin/shelters/new", data=NEW).status_code == 302
    page = editor_client.get("/admin/shelters").get_data(as_text=True)
    assert "試験会館" in page and "洪水・地震" in page and "200人" in page
    assert page.count('<button type="submit" class="status-button') == 3 and 'data-confirm="「試験会館」を「開設」にします。よろしいですか？"' in page
    with console.app_context():
        shelter = _shelter()
        assert (shelter.capacity, shelter.status, shelter.kinds) == (200, "closed", ["flood", "earthquake"])
        shelter_id = shelter.id
    response = editor_client.post(f"/admin/shelters/{shelter_id}/status", data={"status": "open"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#shelter-{shelter_id}")
    assert "「試験会館」を「開設」にしました" in editor_client.get("/admin/shelters").get_data(as_text=True)
    with console.app_context():
        shelter = _shelter()
        assert shelter.status == "open" and shelter.status_by == EDITOR and shelter.status_at is not None
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "shelter.status"))
        assert row.actor == EDITOR and row.target_id == "shimin-kaikan"
        assert row.before["status"] == "未開設" and row.after["status"] == "開設"
        create = db.session.scalar(select(AuditLog).where(AuditLog.action == "shelter.create"))
        assert create.after["name"] == "試験会館"
    # The same tap again changes nothing and writes no second row.
    editor_client.post(f"/admin/shelters/{shelter_id}/status", data={"status": "open"})
    with console.app_context():
        assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "shelter.status")).all()) == 1


def test_a_bad_status_is_a_japanese_error_and_changes_nothing(console, admin_client):
    admin_client.post("/admin/shelters/new", data=NEW)
    with console.app_context():
        shelter_id = _shelter().id
    for bad in ("reopen", "", "開設"):
        admin_client.post(f"/admin/shelters/{shelter_id}/status", data={"status": bad})
        page = admin_client.get("/admin/shelters").get_data(as_text=True)
        assert "状況を変更できませんでした" in page, bad
    with console.app_context():
        assert _shelter().status == "closed"
    assert admin_client.post("/admin/shelters/999999/status", data={"status": "open"}).status_code == 404


def test_bad_input_is_a_japanese_error_and_keeps_what_was_typed(console, admin_client):
    for changes, message in (({"name": ""}, "避難所の名前を入力してください"),
                             ({"key": "市民会館"}, "識別名は半角の英小文字"),
                             ({"capacity": "たくさん"}, "収容人数は1〜100000の整数"),
                             ({"capacity": "0"}, "収容人数は1〜100000の整数"),
                             ({"kinds": ["meteor"]}, "災害の種類「meteor」はありません"),
                             ({"address": "住" * 201}, "住所は200文字以内"),
                             ({"name": "会館\n別館"}, "改行や制御文字は使えません")):
        response = admin_client.post("/admin/shelters/new", data={**NEW, **changes})
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and message in page, changes
        assert "ペットはケージで" in page, changes  # nothing typed is lost
    with console.app_context():
        assert db.session.scalar(select(Shelter.id)) is None
    assert admin_client.post("/admin/shelters/new", data=NEW).status_code == 302
    again = admin_client.post("/admin/shelters/new", data={**NEW, "name": "別の名前"})
    assert "この識別名はすでに使われています" in again.get_data(as_text=True)


def test_edit_keeps_the_status_and_audits_before_and_after(console, admin_client):
    admin_client.post("/admin/shelters/new", data=NEW)
    with console.app_context():
        shelter = _shelter()
        shelter_id, version = shelter.id, shelter.lock_version
    # A status tap while someone has the edit page open does not make their save a conflict.
    admin_client.post(f"/admin/shelters/{shelter_id}/status", data={"status": "full"})
    data = {**NEW, "address": "芦別市試験町9-9", "lock_version": str(version)}
    assert admin_client.post(f"/admin/shelters/{shelter_id}", data=data).status_code == 302
    with console.app_context():
        shelter = _shelter()
        assert shelter.address == "芦別市試験町9-9" and shelter.status == "full"
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "shelter.edit"))
        assert row.before["address"] == "芦別市試験町1-1" and row.after["address"] == "芦別市試験町9-9"
    stale = admin_client.post(f"/admin/shelters/{shelter_id}", data={**data, "address": "古い画面から"})
    assert "別の担当者がこの避難所を保存しました" in stale.get_data(as_text=True)


def test_status_buttons_refuse_a_post_without_a_csrf_token(loaded_app):
    loaded_app.config["WTF_CSRF_ENABLED"] = True
    make_users(loaded_app)
    with loaded_app.app_context():
        shelter = Shelter(key="csrf", name="試験会館", kinds=[])
        db.session.add(shelter)
        db.session.commit()
        shelter_id = shelter.id
    client = loaded_app.test_client()
    assert login(client, EDITOR, csrf_token=csrf_token(client)).status_code == 302
    client.post(f"/admin/shelters/{shelter_id}/status", data={"status": "open", "csrf_token": "forged"})
    with loaded_app.app_context():
        assert db.session.get(Shelter, shelter_id).status == "closed"
    token = csrf_token(client, "/admin/shelters")
    client.post(f"/admin/shelters/{shelter_id}/status", data={"status": "open", "csrf_token": token})
    with loaded_app.app_context():
        assert db.session.get(Shelter, shelter_id).status == "open"


def test_the_shipped_file_lists_no_shelter_and_says_why():
    raw = yaml.safe_load((Path(__file__).parents[2] / "knowledge" / "shelters.yaml").read_text(encoding="utf-8"))
    assert raw["shelters"] == [] and "計画に避難所の記載はありません" in raw["review_note"]
    [dial] = raw["nationwide"]
    assert dial["number"] == "171" and "NTT東日本" in dial["source"] and dial["source"].count("https://") == 1


def test_kb_check_reports_bad_shelters_in_japanese(app, runner, tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(app.config["KNOWLEDGE_DIR"], pack)
    raw = yaml.safe_load((pack / "shelters.yaml").read_text(encoding="utf-8"))
    raw["shelters"] = [{"key": "Bad Key", "name": "", "kinds": ["meteor"], "capacity": -3, "status": "open"},
                       {"key": "a", "name": "会館"}, {"key": "a", "name": "会館2"}]
    raw["topics"][0]["terms"] = ["…だけ"]
    raw["nationwide"][0]["source"] = ""
    (pack / "shelters.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(args=["kb", "check", str(pack)])
    assert result.exit_code != 0
    for message in ("識別名は半角の英小文字", "避難所の名前を入力してください", "災害の種類「meteor」はありません",
                    "収容人数は1〜100000の整数", "status は管理画面で切り替えます", "識別名 a が2回あります",
                    "「…」は「電気…つかな」のように", "番号には出典が必要です"):
        assert message in result.output, message


def test_import_adds_shelters_and_never_resets_a_status(app, tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(app.config["KNOWLEDGE_DIR"], pack)
    raw = yaml.safe_load((pack / "shelters.yaml").read_text(encoding="utf-8"))
    raw["shelters"] = [{"key": "kaikan", "name": "試験会館", "address": "試験町1-1", "kinds": ["flood"], "capacity": 50}]
    (pack / "shelters.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with app.app_context():
        report = import_pack(read_pack(pack))
        assert report.shelters.created == ["kaikan"]
        from bot.shelters.store import set_status

        set_status(_shelter("kaikan"), "open", ADMIN)
        raw["shelters"][0]["address"] = "試験町2-2"
        (pack / "shelters.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        report = import_pack(read_pack(pack))
        shelter = _shelter("kaikan")
        assert report.shelters.updated == ["kaikan"] and shelter.address == "試験町2-2" and shelter.status == "open"
        out = tmp_path / "out"
        export_pack(out)
        exported = yaml.safe_load((out / "shelters.yaml").read_text(encoding="utf-8"))
        assert exported["shelters"] == [{"key": "kaikan", "name": "試験会館", "address": "試験町2-2",
                                         "kinds": ["flood"], "capacity": 50}]
        assert "status" not in exported["shelters"][0] and exported["topics"] == raw["topics"]
        assert read_pack(out).shelters[0]["key"] == "kaikan"  # what export writes, kb check reads


def test_a_broken_shelters_file_is_a_pack_error(app, tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(app.config["KNOWLEDGE_DIR"], pack)
    (pack / "shelters.yaml").write_text("shelters: 3\n", encoding="utf-8")
    try:
        read_pack(pack)
    except Invalid as exc:
        assert any("避難所の一覧" in p.message for p in exc.problems)
    else:
        raise AssertionError("a broken shelters.yaml passed")


def test_readiness_lists_the_missing_supplier_contacts_and_shelters(console, admin_client):
    page = admin_client.get("/admin/readiness").get_data(as_text=True)
    for missing in ("電力会社の連絡先", "水道の連絡先", "避難所が1か所も登録されていません"):
        assert missing in page, missing
    with console.app_context():
        from bot.town import settings

        settings.save({"power_name": "試験電力", "power_contact": "0120-000-000"}, ADMIN)
        db.session.commit()
    page = admin_client.get("/admin/readiness").get_data(as_text=True)
    assert "電力会社の連絡先" not in page and "水道の連絡先" in page


def test_town_settings_validate_the_supplier_contacts_in_japanese(console, admin_client):
    from bot.town import settings

    with console.app_context():
        base = {key: getattr(settings.current_town(), key) for key in settings.DEFAULTS}
    for changes, message in (({"power_name": "試験電力", "power_contact": "電話して"}, "電話番号（例：0120-00-0000）か"),
                             ({"power_name": "試験電力", "power_contact": ""}, "両方入力するか、両方空欄に"),
                             ({"water_name": "水道課", "water_contact": "https://bad url"}, "空白や改行・制御文字は使えません"),
                             ({"water_name": "水道課", "water_contact": "1"}, "3〜15けた")):
        page = admin_client.post("/admin/town", data={**base, **changes}).get_data(as_text=True)
        assert message in page, changes
        assert next(v for v in changes.values() if v) in page, changes  # what was typed stays
    with console.app_context():
        assert settings.current_town().power_name == ""
    ok = admin_client.post("/admin/town", data={**base, "power_name": "試験電力", "power_contact": "０１２０－０００－０００"})
    assert ok.status_code == 302
    with console.app_context():
        assert settings.current_town().power_contact == "0120-000-000"


def test_cli_lists_sets_and_explains(app, runner):
    assert "登録されていません" in runner.invoke(args=["shelters", "list"]).output
    with app.app_context():
        db.session.add(Shelter(key="kaikan", name="試験会館", address="試験町1-1", kinds=["flood"]))
        db.session.commit()
    result = runner.invoke(args=["shelters", "status", "kaikan", "開設", "--by", ADMIN])
    assert result.exit_code == 0 and "試験会館：開設" in result.output
    assert "開設" in runner.invoke(args=["shelters", "list"]).output
    bad = runner.invoke(args=["shelters", "status", "kaikan", "reopen"])
    assert bad.exit_code != 0 and "未開設・開設・満" in bad.output
    missing = runner.invoke(args=["shelters", "status", "nowhere", "open"])
    assert missing.exit_code != 0 and "登録されていません" in missing.output
    with app.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "shelter.status"))
        assert row.actor == ADMIN
    assert "power（停電）" in runner.invoke(args=["shelters", "explain", "停電してる"]).output
    assert "「訓練」を含む" in runner.invoke(args=["shelters", "explain", "避難訓練の日程"]).output


def test_the_consoles_zip_export_and_import_carry_shelters_but_not_statuses(loaded_app):
    import io
    import zipfile

    from bot.pack.transfer import apply_staged, export_zip, parse_upload
    from bot.shelters.store import set_status

    with loaded_app.app_context():
        db.session.add(Shelter(key="kaikan", name="試験会館", address="試験町1-1", kinds=["flood"]))
        db.session.commit()
        set_status(_shelter("kaikan"), "full", ADMIN)
        archive = zipfile.ZipFile(io.BytesIO(export_zip()))
        raw = yaml.safe_load(archive.read("knowledge/shelters.yaml").decode("utf-8"))
        assert raw["shelters"] == [{"key": "kaikan", "name": "試験会館", "address": "試験町1-1", "kinds": ["flood"]}]
        raw["shelters"].append({"key": "gym", "name": "試験体育館"})
        raw["shelters"][0]["address"] = "試験町5-5"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as out:
            for name in archive.namelist():
                data = archive.read(name)
                if name.endswith("shelters.yaml"):
                    data = yaml.safe_dump(raw, allow_unicode=True).encode("utf-8")
                out.writestr(name, data)
        staged = parse_upload("pack.zip", buffer.getvalue())
        assert staged.ok, staged.problems
        assert any("避難所 2件" in note and "状況は変わりません" in note for note in staged.notes)
        apply_staged(staged, ADMIN)
        kaikan, gym = _shelter("kaikan"), _shelter("gym")
        assert (kaikan.address, kaikan.status) == ("試験町5-5", "full") and gym.status == "closed"
        raw["shelters"][1]["kinds"] = ["meteor"]
        bad = io.BytesIO()
        with zipfile.ZipFile(bad, "w") as out:
            out.writestr("knowledge/shelters.yaml", yaml.safe_dump(raw, allow_unicode=True))
            out.writestr("knowledge/led-lighting.yaml", archive.read("knowledge/led-lighting.yaml"))
        staged = parse_upload("pack.zip", bad.getvalue())
        assert not staged.ok and any("災害の種類「meteor」はありません" in p.message for p in staged.problems)


def test_hostile_names_are_escaped_on_every_page(console, editor_client):
    hostile = '"><script>alert(1)</script>'
    assert editor_client.post("/admin/shelters/new", data={**NEW, "name": hostile, "note": hostile}).status_code == 302
    with console.app_context():
        shelter_id = _shelter().id
    for path in ("/admin/shelters", f"/admin/shelters/{shelter_id}"):
        page = editor_client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page, path
