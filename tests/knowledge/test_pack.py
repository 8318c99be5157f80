"""The YAML pack: check, atomic and idempotent import, staff edits, export round trip."""
from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.extensions import db
from bot.pack import Invalid, read_pack
from bot.core.version import current_version
from bot.models import Entry, EntryRevision
from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_SLUGS = {
    "school-lunch-free", "childbirth-gifts", "prenatal-checkup-subsidy", "childbirth-travel-subsidy",
    "postpartum-care", "child-medical-subsidy", "supporters-club", "u-i-turn",
    "convenience-store-certificates", "paperless-counter", "my-number-card", "facility-reservation",
    "digital-signage", "maternal-app", "nursery-app", "zero-carbon", "led-lighting", "strategy-overview",
    "strategy-revision-history", "regional-cooperation",
}


@pytest.fixture
def pack_dir(tmp_path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(ROOT / "knowledge", target)
    return target


def test_bundled_pack_is_valid_and_complete():
    pack = read_pack(ROOT / "knowledge")
    slugs = {e["slug"] for e in pack.entries}
    assert REQUIRED_SLUGS <= slugs
    for entry in pack.entries:
        assert len(entry["questions"]) >= 6, entry["slug"]
        assert "頁" in entry["source"] or "改訂までの流れ" in entry["source"], entry["slug"]
        assert entry["url"].startswith("https://"), entry["slug"]
        assert entry["review_by"], entry["slug"]


def test_bundled_pack_states_no_number_missing_from_the_source():
    import re
    import unicodedata

    source_text = shared_path("source", "000_814edfe68be90aab.txt").read_text(encoding="utf-8")
    source = unicodedata.normalize("NFKC", source_text).replace("\n", "")
    for entry in read_pack(ROOT / "knowledge").entries:
        answer = unicodedata.normalize("NFKC", entry["answer"])
        for number in re.findall(r"\d+(?:\.\d+)?", answer):
            assert number in source, f"{entry['slug']}: {number} is not in the source document"


def test_check_reports_file_field_and_reason(runner, pack_dir):
    (pack_dir / "school-lunch-free.yaml").write_text("slug: school-lunch-free\ntitle: [unclosed\n", encoding="utf-8")
    broken = (pack_dir / "zero-carbon.yaml")
    broken.write_text(broken.read_text(encoding="utf-8").replace("status: published", "status: someday"),
                      encoding="utf-8")
    (pack_dir / "bad-url.yaml").write_text(
        "slug: bad-url\ntitle: t\ncategory: c\nanswer: a\nquestions: [a, b, c, d, e, f]\n"
        "source: 総合戦略1頁\nstatus: published\nurl: javascript:alert(1)\nupdated_on: '2026-13-45'\n",
        encoding="utf-8")
    result = runner.invoke(args=["kb", "check", str(pack_dir)])
    assert result.exit_code == 1
    assert "school-lunch-free.yaml: -: YAML として読み取れません（3行目）" in result.output
    assert "zero-carbon.yaml: status: 「公開」か「下書き」を選んでください" in result.output
    assert "bad-url.yaml: url: http:// か https:// で始まるURLを入力してください" in result.output
    assert "bad-url.yaml: updated_on: 日付は 2026-04-01 の形で入力してください" in result.output
    (pack_dir / "bad-url.yaml").write_text("slug: bad-url\nupdated_on: 2026-13-45\n", encoding="utf-8")
    result = runner.invoke(args=["kb", "check", str(pack_dir)])
    assert "bad-url.yaml: -: 読み取れない値があります（日付は 2026-04-01 の形で、実在する日にしてください）：month must be in 1..12" in result.output


def test_check_names_categories_that_look_alike_in_japanese(runner, pack_dir):
    listed = pack_dir / "categories.yaml"
    listed.write_text(listed.read_text(encoding="utf-8") + "- 子育て･教育\n", encoding="utf-8")
    result = runner.invoke(args=["kb", "check", str(pack_dir)])
    assert result.exit_code == 1
    assert "categories.yaml: -: 「子育て・教育」と「子育て･教育」は同じカテゴリに見えます（" in result.output
    assert "カテゴリ名に1件の問題があります。" in result.output


def test_check_accepts_the_bundled_pack(runner):
    result = runner.invoke(args=["kb", "check"])
    assert result.exit_code == 0, result.output
    assert "OK: " in result.output


def test_broken_pack_changes_nothing(app, runner, pack_dir):
    assert runner.invoke(args=["kb", "import", str(pack_dir)]).exit_code == 0
    with app.app_context():
        version = current_version()
    good = pack_dir / "supporters-club.yaml"
    good.write_text(good.read_text(encoding="utf-8").replace("title:", "title: 新しい題名 #"), encoding="utf-8")
    (pack_dir / "zzz-broken.yaml").write_text("slug: zzz-broken\n\tbad indent: [\n", encoding="utf-8")
    result = runner.invoke(args=["kb", "import", str(pack_dir)])
    assert result.exit_code == 1
    assert "何も変更していません" in result.output
    with app.app_context():
        assert current_version() == version
        assert "新しい題名" not in db.session.scalar(select(Entry.title).where(Entry.slug == "supporters-club"))


def test_import_is_idempotent_and_records_revisions(app, runner, pack_dir):
    first = runner.invoke(args=["kb", "import", str(pack_dir)])
    assert "created 20" in first.output or "created 2" in first.output
    with app.app_context():
        version = current_version()
        revisions = db.session.scalar(select(func.count()).select_from(EntryRevision))
    second = runner.invoke(args=["kb", "import", str(pack_dir)])
    assert "created 0, updated 0" in second.output
    with app.app_context():
        assert current_version() == version
        assert db.session.scalar(select(func.count()).select_from(EntryRevision)) == revisions
    path = pack_dir / "led-lighting.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("keywords:", "keywords:\n- 蛍光灯"), encoding="utf-8")
    third = runner.invoke(args=["kb", "import", str(pack_dir)])
    assert "updated 1" in third.output
    with app.app_context():
        assert current_version() == version + 1
        assert db.session.scalar(select(func.count()).select_from(EntryRevision)) == revisions + 1


def test_import_keeps_staff_edits_unless_forced(app, runner, pack_dir):
    runner.invoke(args=["kb", "import", str(pack_dir)])
    with app.app_context():
        entry = db.session.scalar(select(Entry).where(Entry.slug == "maternal-app"))
        entry.answer = "職員が直した答え"
        db.session.commit()
    path = pack_dir / "maternal-app.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("title:", "title: 変更 #"), encoding="utf-8")
    kept = runner.invoke(args=["kb", "import", str(pack_dir)])
    assert "kept staff edit: maternal-app" in kept.output
    with app.app_context():
        assert db.session.scalar(select(Entry.answer).where(Entry.slug == "maternal-app")) == "職員が直した答え"
    forced = runner.invoke(args=["kb", "import", "--force", str(pack_dir)])
    assert "updated 1" in forced.output
    with app.app_context():
        assert db.session.scalar(select(Entry.answer).where(Entry.slug == "maternal-app")) != "職員が直した答え"


def test_export_then_import_is_a_no_op(app, runner, pack_dir, tmp_path):
    runner.invoke(args=["kb", "import", str(pack_dir)])
    out = tmp_path / "exported"
    assert runner.invoke(args=["kb", "export", str(out)]).exit_code == 0
    exported = read_pack(out)
    assert {e["slug"] for e in exported.entries} == {e["slug"] for e in read_pack(pack_dir).entries}
    assert exported.synonyms == read_pack(pack_dir).synonyms
    with app.app_context():
        version = current_version()
    result = runner.invoke(args=["kb", "import", str(out)])
    assert "created 0, updated 0" in result.output
    with app.app_context():
        assert current_version() == version


def test_duplicate_slug_and_wrong_file_name_are_reported(pack_dir):
    shutil.copy(pack_dir / "nursery-app.yaml", pack_dir / "nursery-copy.yaml")
    with pytest.raises(Invalid) as info:
        read_pack(pack_dir)
    reasons = [str(p) for p in info.value.problems]
    assert any("nursery-copy.yaml: slug: ファイル名は nursery-app.yaml にしてください" in r for r in reasons)


def test_empty_pack_imports_and_bot_falls_back(app, runner, tmp_path, webhook, fake_line):
    from tests.support import events

    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(args=["kb", "import", str(empty)]).exit_code == 0
    assert webhook([events.text("給食費")]).status_code == 200
    text = fake_line.calls("/v2/bot/message/reply")[0].body["messages"][0]["text"]
    assert "お答えできません" in text


# The plan period (令和2〜6年度) is over: an answer may say what the plan held, never that a measure
# is running now or that a 令和6年度 target still lies ahead. These are the phrasings the first-day
# review found (「支給し…図っています」, 「取り組んでいます」 for 「取り組みます」, 「…を目標としています」).
RUNNING_SERVICE = re.compile(
    r"(図って|取り組んで|行って|進めて|活用して|提供して|整えて|発信して|実施して|支援して|助成して|支給して"
    r"|目指して|支えて|目標として|計画として)います"
)
SITE = "https://www.city.ashibetsu.hokkaido.jp/"


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=。)|\n", text) if s.strip()]


def _published() -> list[dict]:
    return [e for e in read_pack(ROOT / "knowledge").entries if e["status"] == "published"]


def test_no_answer_presents_a_plan_measure_as_a_running_service():
    found = [(e["slug"], s) for e in _published() for s in _sentences(e["answer"]) if RUNNING_SERVICE.search(s)]
    assert not found, found


def test_reiwa6_targets_are_phrased_as_the_plans_past_targets():
    for entry in _published():
        for sentence in _sentences(entry["answer"]):
            if "令和6年度" in sentence and "目標" in sentence:
                assert "計画では" in sentence, (entry["slug"], sentence)
                assert re.search(r"(していました|でした)。$", sentence), (entry["slug"], sentence)


def test_answers_carry_the_kpis_residents_ask_about():
    answers = {e["slug"]: e["answer"] for e in _published()}
    assert "24名" in answers["supporters-club"] and "目標を50名" in answers["supporters-club"]
    assert "50件" in answers["prenatal-checkup-subsidy"]
    assert "5年間で250件" in answers["prenatal-checkup-subsidy"]
    source = shared_path("source", "000_814edfe68be90aab.txt").read_text(encoding="utf-8")
    flat = unicodedata.normalize("NFKC", source).replace("\n", "").replace(" ", "")
    assert "5年間で250件" in flat and "24名" in flat and "50名" in flat


def test_u_i_turn_names_only_the_support_the_source_names():
    answer = {e["slug"]: e["answer"] for e in _published()}["u-i-turn"]
    assert "住まい" not in answer and "仕事" not in answer
    assert "星の降る里あしべつ応援団" in answer


def test_first_paragraph_is_short_and_every_answer_says_where_to_check():
    for entry in _published():
        first = entry["answer"].split("\n\n")[0]
        assert len(first) <= 160, (entry["slug"], len(first))
        if entry["slug"] != "strategy-revision-history":  # a list of past meeting dates, nothing to check
            assert "ご確認ください" in entry["answer"], entry["slug"]


def test_strategy_overview_cites_every_page_of_part_2():
    overview = {e["slug"]: e for e in _published()}["strategy-overview"]
    assert "58頁" in overview["source"] and "69・72・78頁" in overview["source"]


def test_review_notes_point_staff_to_the_city_site():
    for entry in _published():
        assert SITE in entry["review_note"], entry["slug"]
