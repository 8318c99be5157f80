"""公開準備: open review notes, placeholder pages and contacts, done out of all, resolving a note (audited)."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.extensions import db
from bot.models import AuditLog, Entry
from tests.support.console import console, editor_client, entry, form_of  # noqa: F401  (fixtures)


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        from bot.admin.readiness import counts, launch_readiness

        return counts(launch_readiness())


def test_the_shipped_pack_is_not_ready_and_the_page_says_what_is_missing(console, editor_client):
    with console.app_context():
        total = db.session.scalar(select(func.count()).select_from(Entry).where(Entry.archived.is_(False)))
    html = editor_client.get("/admin/readiness").get_data(as_text=True)
    assert f"0/{total}" in html  # every entry still has a note, the town's top page and no phone number
    assert "確認メモが未対応" in html and "市のトップページのまま" in html and "電話番号がない" in html
    overview = editor_client.get("/admin/").get_data(as_text=True)
    assert f"公開準備 0/{total}" in overview and 'href="/admin/readiness"' in overview


def test_filling_in_an_entry_and_resolving_its_note_counts_it_done(console, editor_client):
    with console.app_context():
        lunch = entry("school-lunch-free")
        note = lunch.review_note
        post = form_of(lunch, url="https://www.city.ashibetsu.hokkaido.jp/kyouiku/kyushoku.html",
                       contact="芦別市教育委員会 学校教育課（0124-22-2111）")
    assert editor_client.post(f"/admin/entries/{lunch.id}", data=post).status_code == 302
    assert _counts(console)[0] == 0  # the note is still open
    response = editor_client.post(f"/admin/readiness/{lunch.id}/resolve")
    assert response.status_code == 302
    assert _counts(console)[0] == 1
    with console.app_context():
        assert entry("school-lunch-free").review_note == ""
        record = db.session.scalar(select(AuditLog).where(AuditLog.action == "entry.review_resolved"))
        assert record is not None and record.before["review_note"] == note  # the note's text is kept
    html = editor_client.get("/admin/readiness").get_data(as_text=True)
    assert "準備完了" in html


def test_resolving_needs_the_csrf_token(console, editor_client):
    console.config["WTF_CSRF_ENABLED"] = True
    with console.app_context():
        lunch = entry("school-lunch-free")
    editor_client.post(f"/admin/readiness/{lunch.id}/resolve")
    with console.app_context():
        assert entry("school-lunch-free").review_note


def test_the_overview_stops_linking_once_everything_is_done(console, editor_client):
    with console.app_context():
        for e in db.session.scalars(select(Entry)):
            e.review_note = ""
            e.url = f"https://www.city.ashibetsu.hokkaido.jp/{e.slug}.html"
            e.contact = "芦別市役所（0124-22-2111）"
        db.session.commit()
    done, total = _counts(console)
    assert done == total > 0
    assert "公開準備" not in editor_client.get("/admin/").get_data(as_text=True).split("<main", 1)[1]


def test_the_switchboard_hours_and_website_are_launch_items(console, editor_client):
    """Issue 19 B4: until the switchboard is set no reply promises a call, so 公開準備 lists it."""
    console.config.update(TOWN_PHONE="", TOWN_HOURS="")
    html = editor_client.get("/admin/readiness").get_data(as_text=True)
    section = html.split('id="town-todo"', 1)[1].split("</section>", 1)[0]
    assert "代表電話" in section and "受付時間" in section and "市のホームページ" in section
    assert "1/3" in section and section.count("未設定") == 2 and "電話を案内できず" in section
    with console.app_context():
        from bot.models import TownSetting

        db.session.add_all([TownSetting(key="phone", value="0124-22-2111"), TownSetting(key="hours", value="平日 8:30〜17:15")])
        db.session.commit()
    section = editor_client.get("/admin/readiness").get_data(as_text=True).split('id="town-todo"', 1)[1]
    section = section.split("</section>", 1)[0]
    assert "3/3" in section and "未設定" not in section and "0124-22-2111" in section
