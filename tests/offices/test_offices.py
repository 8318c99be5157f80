"""Offices (担当課) in the pack: kb check, import/export round trip, the snapshot and the answer bubble."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from bot.extensions import db
from bot.knowledge.index import EntryView, Snapshot, build_snapshot
from bot.knowledge.pack import content_hash
from bot.pack import Invalid, read_pack
from bot.core.version import current_version
from bot.line.messages import answer_bubble
from bot.town.model import Town
from bot.line.transcript import as_text
from bot.models import AuditLog, Entry, Office, OfficeRevision
from bot.offices import OfficeView
from bot.offices.pack import REVIEW_NOTE, phone_problem
from tests.conftest import shared_path
from tests.support.linejson import actions

ROOT = Path(__file__).resolve().parents[2]
OFFICES = [
    {"key": "kosodate", "name": "子育ての担当課", "phone": "", "hours": "", "email": "", "url": "",
     "place": "市役所", "source": "", "review_note": REVIEW_NOTE},
    {"key": "kyoiku", "name": "教育の担当課", "phone": "0123-45-6789", "hours": "平日 8:45〜17:15",
     "email": "kyoiku@example.jp", "url": "https://example.jp/kyoiku", "place": "", "source": "", "review_note": ""},
]


@pytest.fixture
def pack_dir(tmp_path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(ROOT / "knowledge", target)
    (target / "offices.yaml").write_text(yaml.safe_dump(OFFICES, allow_unicode=True), encoding="utf-8")
    lunch = target / "school-lunch-free.yaml"
    lunch.write_text(lunch.read_text(encoding="utf-8") + "office: kyoiku\n", encoding="utf-8")
    return target


def _problems(pack_dir: Path) -> list[str]:
    with pytest.raises(Invalid) as caught:
        read_pack(pack_dir)
    return [str(p) for p in caught.value.problems]


# -- the shipped pack -------------------------------------------------------------------------------------------

def test_shipped_offices_invent_no_department_and_no_number():
    # The plan names no 担当課 for any measure (only committees), so none is shipped and no entry names one.
    pack = read_pack(ROOT / "knowledge")
    assert pack.offices == []
    assert all(not e["office"] for e in pack.entries)

def test_the_plan_names_no_office():
    # Why offices.yaml ships empty: if the source ever names a 課, that office belongs in the pack.
    text = shared_path("source", "000_814edfe68be90aab.txt").read_text(encoding="utf-8")
    assert "課" not in text.replace("課題", "")


# -- kb check ---------------------------------------------------------------------------------------------------

def test_kb_check_counts_offices(runner, pack_dir):
    result = runner.invoke(args=["kb", "check", str(pack_dir)])
    assert result.exit_code == 0, result.output
    assert "2 offices" in result.output


@pytest.mark.parametrize("change, expected", [
    ({"phone": "0123-45-6789 内線2"}, "kyoiku.phone: 電話番号は半角の数字・ハイフン（-）・かっこだけで書いてください"),
    ({"phone": "tel:0123456789"}, "kyoiku.phone: 電話番号は半角の数字"),
    ({"phone": "0123#45"}, "kyoiku.phone: 電話番号は半角の数字"),
    ({"phone": "12"}, "kyoiku.phone: 電話番号の数字は3〜15桁にしてください"),
    ({"url": "javascript:alert(1)"}, "kyoiku.url: ページのURLは http:// か https:// で始めてください"),
    ({"email": "not an address"}, "kyoiku.email: メールアドレスの形が正しくありません"),
    ({"name": "課" * 101}, "kyoiku.name: 担当課の名前は100文字以内にしてください"),
    ({"hours": "時" * 201}, "kyoiku.hours: 受付時間は200文字以内にしてください"),
    ({"name": "教育\n課"}, "kyoiku.name: 担当課の名前に改行や制御文字は使えません"),
    ({"name": ""}, "kyoiku.name: 担当課の名前を入力してください"),
    ({"fax": "0123"}, "kyoiku.fax: 不明な項目です"),
    ({"phone": 123456}, "kyoiku.phone: 電話番号は文字で書いてください"),
])
def test_each_office_problem_is_a_clear_japanese_problem(pack_dir, change, expected):
    offices = [dict(OFFICES[0]), {**OFFICES[1], **change}]
    (pack_dir / "offices.yaml").write_text(yaml.safe_dump(offices, allow_unicode=True), encoding="utf-8")
    problems = _problems(pack_dir)
    assert any(p.startswith("offices.yaml: " + expected) for p in problems), problems


def test_bad_key_duplicate_key_and_unknown_reference_are_reported(runner, pack_dir):
    offices = [OFFICES[0], {**OFFICES[0], "name": "二つ目"}, {**OFFICES[1], "key": "Kyoiku Ka"}]
    (pack_dir / "offices.yaml").write_text(yaml.safe_dump(offices, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(args=["kb", "check", str(pack_dir)])
    assert result.exit_code == 1
    assert "offices.yaml: kosodate.key: 識別名 kosodate が2回あります（1件目と2件目）" in result.output
    assert "offices.yaml: Kyoiku Ka.key: 識別名は半角の英小文字・数字・ハイフン（-）で書いてください" in result.output
    # school-lunch-free names kyoiku, which is now spelt wrongly.
    assert "school-lunch-free.yaml: office: 担当課 'kyoiku' は offices.yaml にありません" in result.output


def test_an_entry_naming_an_office_in_a_pack_without_offices_is_reported(pack_dir):
    (pack_dir / "offices.yaml").unlink()
    assert "school-lunch-free.yaml: office: 担当課 'kyoiku' は offices.yaml にありません" in _problems(pack_dir)


def test_offices_file_that_is_not_a_list_is_reported(pack_dir):
    (pack_dir / "offices.yaml").write_text("kosodate: 子育て\n", encoding="utf-8")
    assert any("担当課の一覧" in p for p in _problems(pack_dir))


@pytest.mark.parametrize("phone, ok", [
    ("0123-45-6789", True), ("(0123)45-6789", True), ("110", True), ("0123456789012345", False),
    ("0123 45 6789", False), ("０１２３-45-6789", False), ("+81-123-45-6789", False), ("0123-45-6789;", False),
])
def test_phone_rule_keeps_tel_uris_safe(phone, ok):
    assert (phone_problem(phone) is None) is ok


# -- import / export --------------------------------------------------------------------------------------------

def test_import_export_round_trip(app, runner, pack_dir, tmp_path):
    first = runner.invoke(args=["kb", "import", str(pack_dir)])
    assert "offices: created 2, updated 0, unchanged 0" in first.output, first.output
    with app.app_context():
        assert db.session.scalar(select(Entry.office).where(Entry.slug == "school-lunch-free")) == "kyoiku"
        assert db.session.scalar(select(func.count()).select_from(OfficeRevision)) == 2
        assert db.session.scalar(select(func.count()).select_from(AuditLog)
                                 .where(AuditLog.action == "office.import")) == 2
        version = current_version()
    out = tmp_path / "out"
    assert runner.invoke(args=["kb", "export", str(out)]).exit_code == 0
    exported = read_pack(out)
    assert exported.offices == read_pack(pack_dir).offices == OFFICES
    assert {e["slug"]: e["office"] for e in exported.entries}["school-lunch-free"] == "kyoiku"
    # Empty phones are written, so staff see what is still to fill in.
    assert "phone: ''" in (out / "offices.yaml").read_text(encoding="utf-8")
    again = runner.invoke(args=["kb", "import", str(out)])
    assert "created 0, updated 0" in again.output and "offices: created 0, updated 0, unchanged 2" in again.output
    with app.app_context():
        assert current_version() == version


def test_import_keeps_staff_edits_to_an_office_unless_forced(app, runner, pack_dir):
    runner.invoke(args=["kb", "import", str(pack_dir)])
    with app.app_context():
        from bot.offices.store import save_office

        office = db.session.scalar(select(Office).where(Office.key == "kosodate"))
        save_office(office, {**office.content(), "phone": "0123-11-2222"}, "staff@example.invalid")
    changed = [dict(OFFICES[0], hours="平日"), OFFICES[1]]
    (pack_dir / "offices.yaml").write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
    kept = runner.invoke(args=["kb", "import", str(pack_dir)])
    assert "kept staff edit: office kosodate" in kept.output
    with app.app_context():
        assert db.session.scalar(select(Office.phone).where(Office.key == "kosodate")) == "0123-11-2222"
    runner.invoke(args=["kb", "import", "--force", str(pack_dir)])
    with app.app_context():
        office = db.session.scalar(select(Office).where(Office.key == "kosodate"))
        assert (office.phone, office.hours) == ("", "平日")


def test_an_entry_without_an_office_hashes_as_before_offices_existed():
    # Hashes stored by earlier imports must still match, or every entry would look edited by staff.
    entry = read_pack(ROOT / "knowledge").entries[0]
    old_fields = ("slug", "title", "category", "status", "answer", "questions", "keywords", "url", "contact",
                  "source", "updated_on", "review_by", "review_note")
    old = hashlib.sha256(json.dumps({k: entry.get(k) for k in old_fields}, ensure_ascii=False, sort_keys=True,
                                    default=str).encode()).hexdigest()
    assert content_hash(entry) == old
    assert content_hash({**entry, "office": "kyoiku"}) != old


# -- snapshot ---------------------------------------------------------------------------------------------------

def test_snapshot_carries_offices_and_an_office_edit_bumps_the_version(app, runner, pack_dir):
    runner.invoke(args=["kb", "import", str(pack_dir)])
    with app.app_context():
        version = current_version()
        snapshot = build_snapshot(version)
        assert snapshot.office_for("school-lunch-free") == OfficeView(
            "kyoiku", "教育の担当課", "0123-45-6789", "平日 8:45〜17:15", "kyoiku@example.jp",
            "https://example.jp/kyoiku", "")
        assert snapshot.office_for("zero-carbon") is None
        assert snapshot.office_for("no-such-entry") is None
        from bot.offices.store import save_office

        office = db.session.scalar(select(Office).where(Office.key == "kyoiku"))
        save_office(office, {**office.content(), "phone": "0123-99-0000"}, "staff@example.invalid")
        assert current_version() == version + 1
        assert build_snapshot(current_version()).office_for("school-lunch-free").phone == "0123-99-0000"


# -- the answer bubble ------------------------------------------------------------------------------------------

ENTRY = EntryView("school-lunch-free", "給食費の無償化", "子育て", "答えです。", "", "自由記述の問い合わせ先", "",
                  (), (), "published", office="kyoiku")
TOWN = Town("芦別市", "芦別市役所", "0123-00-0000", "https://example.invalid/", hours="平日 8:30〜17:00")
NO_PHONE_TOWN = Town("芦別市", "芦別市役所", "", "https://example.invalid/")


def _uris(message: dict) -> list[str]:
    return [a["uri"] for a in actions(message) if a["type"] == "uri"]


def test_bubble_shows_the_office_name_hours_and_a_call_button_when_its_phone_is_known():
    office = OfficeView("kyoiku", "教育の担当課", phone="(0123)45-6789", hours="平日 8:45〜17:15")
    message = answer_bubble(ENTRY, TOWN, None, office=office)
    text = as_text(message)
    assert "お問い合わせ：教育の担当課" in text and "受付時間：平日 8:45〜17:15" in text
    assert "自由記述の問い合わせ先" not in text
    assert "tel:012345-6789" in _uris(message)
    assert [a["label"] for a in actions(message) if a.get("uri", "").startswith("tel:")] == ["電話する"]
    assert "市役所代表" not in text


def test_bubble_without_office_phone_offers_the_switchboard():
    message = answer_bubble(ENTRY, TOWN, None, office=OfficeView("kyoiku", "教育の担当課"))
    text = as_text(message)
    assert "お問い合わせ：教育の担当課" in text and "受付時間：平日 8:30〜17:00" in text
    assert [u for u in _uris(message) if u.startswith("tel:")] == ["tel:0123-00-0000"]
    assert "電話する（市役所代表）" in [a["label"] for a in actions(message)]


def test_bubble_without_any_phone_has_no_tel_uri_and_links_the_website():
    message = answer_bubble(ENTRY, NO_PHONE_TOWN, None, office=OfficeView("kyoiku", "教育の担当課"))
    assert not [u for u in _uris(message) if u.startswith("tel:")]
    assert "https://example.invalid/" in _uris(message)
    page = answer_bubble(ENTRY, NO_PHONE_TOWN, None, office=OfficeView("kyoiku", "教育の担当課", url="https://example.jp/k"))
    assert "https://example.jp/k" in _uris(page)
    assert "担当課のページ" in [a["label"] for a in actions(page)]


def test_bubble_of_an_entry_without_office_is_unchanged():
    message = answer_bubble(ENTRY, TOWN, None)
    assert "お問い合わせ：自由記述の問い合わせ先" in as_text(message)
    assert not [u for u in _uris(message) if u.startswith("tel:")]


def test_replies_answer_names_the_office_from_the_snapshot():
    from bot.conversation import replies

    office = OfficeView("kyoiku", "教育の担当課", phone="0123-45-6789")
    kb = Snapshot(1, None, {ENTRY.slug: ENTRY}, offices={"kyoiku": office})
    assert "tel:0123-45-6789" in _uris(replies.answer(ENTRY, kb, NO_PHONE_TOWN, 7))
    unknown = Snapshot(1, None, {ENTRY.slug: ENTRY})
    assert "お問い合わせ：自由記述の問い合わせ先" in as_text(replies.answer(ENTRY, unknown, NO_PHONE_TOWN, 7))
