"""Import in Chromium: an Excel (Shift_JIS) CSV previews its lost characters; too big is a Japanese page."""
from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import expect

from tests.support.console import ADMIN
from tests.browser.test_console_flows import log_in


def _excel_save(raw: bytes, edit_slug: str | None = None) -> bytes:
    """Return an exported CSV as Excel's plain "CSV" save writes it (cp932), with one answer edited."""
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header = rows[0]
    for row in rows[1:]:
        if row[0] == edit_slug:
            row[header.index("回答")] = "ブラウザから直した回答です。"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("cp932", errors="replace")


def test_excel_csv_preview_warns_about_lost_characters_and_keeps_them(live_server, page, shot):
    log_in(page, live_server, ADMIN)
    exported = page.request.get(f"{live_server}/admin/export.csv").body()
    page.goto(f"{live_server}/admin/transfer")
    page.set_input_files("input[type=file]", files=[{
        "name": "回答一覧.csv", "mimeType": "text/csv", "buffer": _excel_save(exported, "maternal-app")}])
    page.get_by_role("button", name="内容を確認する").click()
    expect(page.get_by_role("heading", name="確認：回答一覧.csv")).to_be_visible()
    expect(page.locator(".alert.warn").first).to_contain_text("文字が失われた可能性があります")
    expect(page.locator("details[open] .diff .ins").first).to_contain_text("ブラウザから直した回答です。")
    expect(page.get_by_role("button", name="1件を取り込む")).to_be_visible()
    expect(page.get_by_label("文字が失われた可能性のある項目も、ファイルの内容で上書きする")).not_to_be_checked()
    page.screenshot(path="/tmp/transfer-preview.png", full_page=True)
    page.locator("#preview-h").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/transfer-preview-top.png")
    folded = page.locator("details.change").first  # 子どもの医療費の助成: only its ⑴ and 〜 differ
    expect(folded).not_to_have_attribute("open", "")
    folded.locator("summary").click()  # open a folded one: the lost ⑴ and its "?" are marked
    expect(folded.locator("mark", has_text="⑴").first).to_be_visible()
    folded.screenshot(path="/tmp/transfer-preview-diff.png")
    shot(page, "admin-import-preview")
    page.get_by_role("button", name="1件を取り込む").click()
    expect(page.get_by_text(re.compile(r"変更1件.*今の内容のまま残しました"))).to_be_visible()


def test_an_oversized_upload_shows_a_japanese_page(live_server, page, loaded_app):
    loaded_app.config["MAX_IMPORT_BYTES"] = 1024 * 1024
    log_in(page, live_server, ADMIN)
    page.goto(f"{live_server}/admin/transfer")
    page.set_input_files("input[type=file]", files=[{
        "name": "big.zip", "mimeType": "application/zip", "buffer": b"\0" * (4 * 1024 * 1024)}])
    page.get_by_role("button", name="内容を確認する").click()
    expect(page.get_by_role("heading", name="送信できる大きさを超えています")).to_be_visible()
    expect(page.get_by_text("ここで送れるのは1MBまでです")).to_be_visible()
    page.get_by_role("link", name="前の画面へ戻る").click()
    expect(page.get_by_role("heading", name="取り込み・書き出し", exact=True)).to_be_visible()


def test_the_exported_zip_uploads_back_and_names_the_sections_it_leaves_alone(live_server, page, shot):
    log_in(page, live_server, ADMIN)
    exported = page.request.get(f"{live_server}/admin/export.zip").body()
    page.goto(f"{live_server}/admin/transfer")
    page.set_input_files("input[type=file]", files=[{
        "name": "knowledge.zip", "mimeType": "application/zip", "buffer": exported}])
    page.get_by_role("button", name="内容を確認する").click()
    expect(page.get_by_role("heading", name="確認：knowledge.zip")).to_be_visible()
    for name in ("categories.yaml", "richmenu.yaml", "forms/supporters-club.yaml"):
        expect(page.get_by_text(f"{name} は、ここでは取り込みません")).to_be_visible()
    page.locator("#preview-h").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/transfer-sections.png")
    shot(page, "admin-import-sections")


def test_a_broken_zip_lists_every_problem_in_japanese(live_server, page):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bad-entry.yaml", "slug: bad-entry\ntitle: 題\ncategory: 子育て・教育\nanswer: \"a\\u0000b\"\n"
                                           "questions: [一つ]\nsource: 総合戦略1頁\nstatus: someday\nurl: ftp://x\n")
        archive.writestr("offices.yaml", "- key: Bad Key\n  name: 課\n")
    log_in(page, live_server, ADMIN)
    page.goto(f"{live_server}/admin/transfer")
    page.set_input_files("input[type=file]", files=[{
        "name": "壊れた.zip", "mimeType": "application/zip", "buffer": buffer.getvalue()}])
    page.get_by_role("button", name="内容を確認する").click()
    table = page.locator("table.problems")
    expect(table).to_contain_text("制御文字（NULなど）は使えません")
    expect(table).to_contain_text("「公開」か「下書き」を選んでください")
    expect(table).to_contain_text("http:// か https:// で始まるURLを入力してください")
    expect(table).to_contain_text("識別名は半角の英小文字・数字・ハイフン（-）で書いてください")
    rows = table.locator("tbody tr")
    for n in range(rows.count()):
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", rows.nth(n).locator("td").last.inner_text())
    table.screenshot(path="/tmp/transfer-problems.png")
