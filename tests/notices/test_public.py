"""The public page /notices, each notice's page and the Atom feed: only what is published now, valid, cacheable."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import feedparser
import pytest
from sqlalchemy import func, select

from bot.extensions import db
from bot.models import Facility, Notice, utcnow
from bot.notices import feed, workflow
from tests.notices.support import FAST

AUTHOR, APPROVER = "author@example.jp", "approver@example.jp"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def papp(app):
    app.config.update(FAST, NOTICE_APPROVAL_REQUIRED=True, PUBLIC_BASE_URL="https://bot.example.jp/")
    with app.app_context():
        yield app


@pytest.fixture
def web(papp):
    return papp.test_client()


def _notice(title: str, channels=("web",), stage: str = "approved", body: str = "年末年始は休館します。",
            **kw) -> Notice:
    kw.setdefault("display_until", utcnow() + timedelta(days=7))
    if not any(c in ("web", "signage") for c in channels):
        kw.pop("display_until")
    notice = workflow.create(workflow.Draft(title, body, channels=channels, **kw), by=AUTHOR)
    if stage == "draft":
        return notice
    workflow.request_send(notice, by=AUTHOR)
    if stage == "pending" or notice.status != "pending_approval":
        return notice
    workflow.approve(notice, by=APPROVER, revision=notice.revision)
    return notice


def _aged(notice: Notice, hours: float) -> Notice:
    """Move the stored approval into the past: HTTP dates have whole seconds, and tests must not sleep."""
    notice.approved_at = utcnow() - timedelta(hours=hours)
    db.session.commit()
    return notice


def _get(web, path: str, **headers):
    response = web.get(path, headers=headers)
    assert response.status_code < 500, (path, response.status_code)
    return response


def test_no_leak_on_the_page_the_entry_pages_or_the_feed(papp, web):
    live = _notice("公開中のお知らせ")
    hidden = {
        "draft": _notice("下書きのお知らせ", stage="draft"),
        "pending": _notice("承認待ちのお知らせ", stage="pending"),
        "cancelled": workflow.cancel(_notice("取り消したお知らせ"), by=APPROVER),
        "cancelled before approval": workflow.cancel(_notice("承認前に取り消し", stage="pending"), by=AUTHOR),
        "ended": _notice("終わったお知らせ"),
        "upcoming": _notice("これからのお知らせ", display_from=utcnow() + timedelta(days=1)),
        "line only": _notice("LINEだけのお知らせ", channels=("line",)),
        "signage only": _notice("サイネージだけのお知らせ", channels=("signage",)),
    }
    hidden["ended"].display_until = utcnow() - timedelta(seconds=1)  # a stored end in the past: no sleeping
    db.session.commit()
    listing, atom = _get(web, "/notices").get_data(as_text=True), _get(web, "/notices.atom").get_data(as_text=True)
    assert live.title in listing and live.title in atom
    assert _get(web, f"/notices/{live.id}").status_code == 200
    for why, notice in hidden.items():
        assert notice.title not in listing, why
        assert notice.title not in atom, why
        page = _get(web, f"/notices/{notice.id}")
        assert page.status_code == 404, why
        assert notice.title not in page.get_data(as_text=True) and "公開されていない" in page.get_data(as_text=True)


def test_taking_down_removes_it_from_page_entry_and_feed(papp, web):
    notice = _notice("取り下げるお知らせ")
    assert notice.title in _get(web, "/notices").get_data(as_text=True)
    workflow.cancel(notice, by=APPROVER)
    assert notice.title not in _get(web, "/notices").get_data(as_text=True)
    assert notice.title not in _get(web, "/notices.atom").get_data(as_text=True)
    assert _get(web, f"/notices/{notice.id}").status_code == 404


def test_the_feed_is_valid_atom_with_the_required_elements(papp, web):
    older = _notice("図書館の臨時休館", display_from=utcnow() - timedelta(hours=2), url="https://example.jp/lib")
    newer = _notice("除雪のお願い", display_from=utcnow() - timedelta(hours=1), body="道路に雪を出さないでください。")
    response = _get(web, "/notices.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.data)  # well-formed, or this raises
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None, required
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"self": "https://bot.example.jp/notices.atom", "alternate": "https://bot.example.jp/notices"}

    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == "https://bot.example.jp/notices" and parsed.feed.title.endswith("のお知らせ")
    assert parsed.feed.author_detail.name and parsed.feed.updated_parsed
    assert [e.title for e in parsed.entries] == [newer.title, older.title]
    for entry, notice in zip(parsed.entries, (newer, older)):
        assert entry.id == entry.link == f"https://bot.example.jp/notices/{notice.id}"
        assert entry.updated_parsed and entry.published_parsed
        assert entry.summary == notice.body and entry.content[0].value == notice.body
        assert entry.content[0].type == "text/plain"
    assert any(link.rel == "related" and link.href == "https://example.jp/lib" for link in parsed.entries[1].links)
    # No personal data: the staff who wrote and approved it are not in the feed.
    assert AUTHOR not in response.get_data(as_text=True) and APPROVER not in response.get_data(as_text=True)


def test_an_empty_feed_is_still_valid(papp, web):
    parsed = feedparser.parse(_get(web, "/notices.atom").data)
    assert not parsed.bozo and parsed.version == "atom10" and parsed.entries == []
    assert "いま掲載中のお知らせはありません" in _get(web, "/notices").get_data(as_text=True)


def test_the_feed_is_capped(papp, web):
    papp.config["NOTICE_APPROVAL_REQUIRED"] = False
    for n in range(feed.MAX_ENTRIES + 3):
        _notice(f"お知らせ{n}", display_from=utcnow() - timedelta(minutes=100 - n))
    parsed = feedparser.parse(_get(web, "/notices.atom").data)
    assert len(parsed.entries) == feed.MAX_ENTRIES
    assert parsed.entries[0].title == f"お知らせ{feed.MAX_ENTRIES + 2}"


@pytest.mark.parametrize("path", ["/notices", "/notices.atom", "entry"])
def test_etag_last_modified_and_304(papp, web, path):
    notice = _aged(_notice("除雪のお願い", display_from=utcnow() - timedelta(hours=1)), 1)
    path = f"/notices/{notice.id}" if path == "entry" else path
    first = _get(web, path)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=60"
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified and "Set-Cookie" not in first.headers
    assert _get(web, path, **{"If-None-Match": etag}).status_code == 304
    assert _get(web, path, **{"If-Modified-Since": modified}).status_code == 304
    assert _get(web, path, **{"If-None-Match": '"something-else"'}).status_code == 200
    if path in ("/notices", "/notices.atom"):
        _notice("新しいお知らせ")
        changed = _get(web, path, **{"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["ETag"] != etag
        assert _get(web, path, **{"If-Modified-Since": modified}).status_code == 200


def test_an_ended_notice_moves_last_modified_on(papp, web):
    """When a notice leaves, a reader who only sends If-Modified-Since must not keep the old list."""
    stays = _aged(_notice("残るお知らせ", display_from=utcnow() - timedelta(hours=3)), 3)
    leaves = _aged(_notice("終わるお知らせ", display_from=utcnow() - timedelta(hours=2)), 2)
    first = _get(web, "/notices.atom")
    leaves.display_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    again = _get(web, "/notices.atom", **{"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 200
    assert leaves.title not in again.get_data(as_text=True) and stays.title in again.get_data(as_text=True)


def test_an_approval_after_the_planned_start_moves_last_modified_on(papp, web):
    _aged(_notice("前からあるお知らせ", display_from=utcnow() - timedelta(hours=3)), 3)
    first = _get(web, "/notices.atom")
    late = _notice("開始日時の後に承認", stage="pending", display_from=utcnow() - timedelta(days=2))
    workflow.approve(late, by=APPROVER, revision=late.revision)
    again = _get(web, "/notices.atom", **{"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 200 and late.title in again.get_data(as_text=True)
    entry = feedparser.parse(again.data).entries[0]
    assert entry.title == late.title, "first shown at its approval, so the newest"


def test_script_in_title_and_body_is_escaped_everywhere(papp, web):
    evil = _notice('<script>alert("t")</script>', body='<script>alert("b")</script> https://example.jp/?a=1&b="x"')
    for path in ("/notices", f"/notices/{evil.id}"):
        html = _get(web, path).get_data(as_text=True)
        assert "<script>" not in html and "&lt;script&gt;" in html
    page = _get(web, f"/notices/{evil.id}").get_data(as_text=True)
    assert '<a href="https://example.jp/?a=1&amp;b=" rel="nofollow noopener">' in page
    atom = _get(web, "/notices.atom")
    assert b"<script>" not in atom.data
    parsed = ET.fromstring(atom.data)
    entry = parsed.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == '<script>alert("t")</script>'


def test_the_pages_are_accessible_and_printable(papp, web):
    notice = _notice("除雪のお願い", url="https://example.jp/snow")
    for path in ("/notices", f"/notices/{notice.id}"):
        html = _get(web, path).get_data(as_text=True)
        assert '<html lang="ja">' in html and '<main id="main"' in html and "<header" in html and "<footer" in html
        assert '<meta name="viewport"' in html and "<h1" in html and "<script" not in html
        assert 'type="application/atom+xml"' in html
    css = _get(web, "/static/public.css").get_data(as_text=True)
    assert "@media print" in css


@pytest.mark.parametrize("path", ["/notices?page=0", "/notices?page=-1", "/notices?page=abc", "/notices?page=%00",
                                  "/notices?page=99999999999999999999999", "/notices?page=2", "/notices/0",
                                  "/notices/99999999999", "/notices/abc", "/notices/%00", "/notices.atom?x=%ff",
                                  "/notices/1/../../admin"])
def test_fuzzed_paths_and_queries_never_500(papp, web, path):
    _notice("除雪のお願い")
    assert _get(web, path).status_code in (200, 301, 302, 308, 400, 404)


def test_paging(papp, web):
    papp.config["NOTICE_APPROVAL_REQUIRED"] = False
    for n in range(23):
        _notice(f"お知らせ{n:02d}", display_from=utcnow() - timedelta(minutes=100 - n))
    first, second = _get(web, "/notices").get_data(as_text=True), _get(web, "/notices?page=2").get_data(as_text=True)
    assert "お知らせ22" in first and "お知らせ03" in first and "お知らせ02" not in first and 'rel="next"' in first
    assert "お知らせ02" in second and "お知らせ00" in second and 'rel="prev"' in second


# -- the command line ------------------------------------------------------------------------

def test_cli_channels_and_period(papp, runner):
    papp.config["NOTICE_APPROVAL_REQUIRED"] = False
    db.session.add(Facility(name="市民会館"))
    db.session.commit()
    result = runner.invoke(args=["notices", "create", "--title", "休館", "--text", "本文", "--channel", "web",
                                 "--channel", "signage", "--facility", "市民会館",
                                 "--from", "2026-12-01T09:00", "--until", "2999-01-01T09:00+09:00"])
    assert result.exit_code == 0, result.output
    notice = db.session.get(Notice, int(result.stdout.strip()))
    assert notice.channels == ["web", "signage"] and len(notice.signage_facility_ids) == 1
    assert notice.display_from.strftime("%H:%M") == "00:00"  # 09:00 in Tokyo is midnight UTC
    default = runner.invoke(args=["notices", "create", "--title", "件名", "--text", "本文"])
    assert db.session.get(Notice, int(default.stdout.strip())).channels == ["line"]


@pytest.mark.parametrize("args, words", [
    (["--channel", "fax"], "知らない配信先"),
    (["--channel", "signage"], "終了日時を入力"),
    (["--channel", "web", "--until", "tomorrow"], "ISO 8601"),
    (["--channel", "web", "--from", "2999-01-02T00:00", "--until", "2999-01-01T00:00"], "開始日時より後"),
    (["--channel", "signage", "--until", "2999-01-01T00:00", "--facility", "どこか"], "登録されていません"),
    (["--channel", "line", "--until", "2999-01-01T00:00"], "表示期間"),
])
def test_cli_refuses_bad_values_in_japanese_and_stores_nothing(papp, runner, args, words):
    result = runner.invoke(args=["notices", "create", "--title", "件名", "--text", "本文", *args])
    assert result.exit_code != 0 and words in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
