"""Every console page speaks Japanese: no English codes in the visible text of any page, detail pages included."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import select

from bot.core.labels import AUDIT_ACTIONS, REVISION_REASONS, action_label
from bot.extensions import db
from bot.models import AuditLog, QuestionLog
from tests.support.console import ADMIN, admin_client, console, entry, form_of  # noqa: F401  (fixtures)

# Words staff see in a Japanese office too: names of things, formats, and the console's own data.
ALLOWED = {"LINE", "MB", "KB", "CSV", "ZIP", "PNG", "JPEG", "ID", "URL", "QR", "PDF", "HTML", "JSON", "YAML", "Atom", "RSS",
           "https", "http", "OK", "slug", "LIFF", "Web", "PC", "NFKC", "UTC", "JST", "LED", "CO", "DX", "KPI", "SNS",
           "App", "Store", "Google", "Play", "Excel", "Developers"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_URL = re.compile(r"https?://\S+|/[\w./?=&%-]+")
_FILE = re.compile(r"[\w.-]*\.(?:csv|zip|yaml|yml|png|json)\b|\b[\w.-]+/")  # file names, folders
_SLUG = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b")
_WORD = re.compile(r"[A-Za-z]{2,}")


class _Text(HTMLParser):
    """Collect the text a reader sees (no attributes, scripts or styles)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        # A command for the server's staff (<code class="command">) is typed as shown; other code is checked.
        if tag in ("script", "style", "template") or (tag == "code" and ("class", "command") in attrs):
            self._skip += 1
            self._stack.append(tag)

    def handle_endtag(self, tag):
        if self._stack and tag == self._stack[-1]:
            self._stack.pop()
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def english_words(html: str, extra: set[str] = frozenset()) -> set[str]:
    """Return the English words in a page's visible text outside the allowlist."""
    parser = _Text()
    parser.feed(html)
    text = _SLUG.sub(" ", _FILE.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", " ".join(parser.parts)))))
    return {w for w in _WORD.findall(text) if w not in ALLOWED and w not in extra}


def _audit_every_action(app) -> None:
    with app.app_context():
        for code in AUDIT_ACTIONS:
            db.session.add(AuditLog(actor=ADMIN, action=code, target_type="entry", target_id="school-lunch-free",
                                    summary="テスト", before={"status": "draft", "archived": False},
                                    after={"status": "published", "archived": True}))
        db.session.commit()


def _pages(app, client) -> list[str]:
    with app.app_context():
        lunch = entry("school-lunch-free")
        lunch_id = lunch.id
        data = form_of(lunch, status="draft")
        db.session.add(QuestionLog(text="水道料金はいくらですか", outcome="fallback", user_hash="r1", channel="line"))
        db.session.add(QuestionLog(text="給食費ってタダ", outcome="answer", feedback="down", channel="line",
                                   entry_slug="school-lunch-free", user_hash="r2"))
        db.session.commit()
    client.post(f"/admin/entries/{lunch_id}", data=data)  # a revision whose status changes
    client.post("/admin/notices/new", data={"title": "お知らせのテスト", "body": "本文です。", "url": "",
                                            "entry_slug": "", "audience": "all", "timing": "now"})
    _audit_every_action(app)
    urls = [r.rule for r in app.url_map.iter_rules()
            if r.rule.startswith("/admin") and "GET" in r.methods and not r.arguments
            and not r.endpoint.endswith(".static") and r.endpoint not in ("admin.logout",)]
    with app.app_context():
        from bot.models import Notice
        notice = db.session.scalar(select(Notice))
    urls += [f"/admin/entries/{lunch_id}", f"/admin/entries/{lunch_id}/history", "/admin/inbox?days=30",
             "/admin/try?q=給食費&drafts=y", "/admin/entries?q=給食"]
    if notice is not None:
        urls.append(f"/admin/notices/{notice.id}")
    return urls


def test_every_console_page_is_in_japanese(console, admin_client):
    found = {}
    for url in _pages(console, admin_client):
        response = admin_client.get(url)
        if response.status_code in (301, 302):
            continue
        assert response.status_code == 200, (url, response.status_code)
        if response.mimetype != "text/html":
            continue  # downloads (CSV, ZIP) are files, not pages
        words = english_words(response.get_data(as_text=True))
        if words:
            found[url] = sorted(words)
    assert found == {}


def test_the_walk_reaches_the_detail_pages_with_data(console, admin_client):
    urls = _pages(console, admin_client)
    assert any(re.fullmatch(r"/admin/notices/\d+", u) for u in urls), "a notice detail page"
    inbox = admin_client.get("/admin/inbox?days=30").get_data(as_text=True)
    assert "水道料金はいくらですか" in inbox and "👎が付いた回答" in inbox
    # The walk itself is audited (opening applications is), so the seeded rows may have moved to later pages.
    audit = "".join(admin_client.get(f"/admin/audit?page={n}").get_data(as_text=True) for n in range(1, 6))
    assert action_label("entry.rollback") in audit and action_label("inbox.dismiss") in audit


def test_the_checker_sees_english_codes():
    assert english_words("<p>状態 ＋ published</p><td><code>entry.rollback</code></td>") == {"published", "entry",
                                                                                                 "rollback"}
    assert english_words('<a href="/admin/x" title="login">LINE・CSV school-lunch-free a@b.jp</a>') == set()
    assert english_words('<p>コマンド：<code class="command">flask users create --role admin</code></p>') == set()


def test_every_audit_action_in_the_code_has_a_japanese_label(app):
    # The app imports every feature, and each feature registers its own names (bot/core/labels.py).
    root = Path(__file__).resolve().parents[2] / "bot"
    codes = set()
    for path in root.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'record\([^,()]+,\s*"([a-z_]+(?:\.[a-z_]+)*)"', source))
        codes |= set(re.findall(r'"(notice\.[a-z_]+)"\)', source))  # the notice views pass the action to _act
        codes |= set(re.findall(r'=\s*\("([a-z]+\.[a-z_]+)",', source))  # action, verb = ("entry.archive", ...)
    codes |= {f"entry.{reason}" for reason in REVISION_REASONS if reason != "create"}
    assert codes, "the scan found no audit calls"
    assert sorted(c for c in codes if c not in AUDIT_ACTIONS) == []


def test_the_audit_log_names_town_and_menu_targets_in_japanese(console, admin_client):  # noqa: F811
    from bot.town.settings import save, set_disaster_mode

    with console.app_context():
        set_disaster_mode(True, "大雨のため", ADMIN)
        save({"phone": "0124-00-0000"}, ADMIN)
        db.session.commit()
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "災害時モード" in page and "町の設定" in page
    assert english_words(page) == set()
