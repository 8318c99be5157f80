"""Managed categories: entries choose from the list, admins add/rename/reorder (audited), the pack carries it."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.extensions import db
from bot.knowledge.categories import names, near_duplicates
from bot.pack import Invalid, read_pack
from bot.models import AuditLog, Category
from tests.support.console import admin_client, console, editor_client, entry, form_of  # noqa: F401  (fixtures)

PACK = Path(__file__).resolve().parents[2] / "knowledge"
HALF_WIDTH = "子育て･教育"  # U+FF65: once saved as free text, it split the greeting and the menu in two


def test_every_shipped_entry_uses_a_listed_category():
    pack = read_pack(PACK)
    assert pack.categories and {e["category"] for e in pack.entries} <= set(pack.categories)
    assert near_duplicates(pack.categories) == []


def test_the_entry_form_offers_a_list_not_free_text(console, editor_client):
    with console.app_context():
        lunch = entry("school-lunch-free")
    html = editor_client.get(f"/admin/entries/{lunch.id}").get_data(as_text=True)
    assert re.search(r'<select[^>]* name="category"', html) and not re.search(r'<input[^>]* name="category"', html)
    assert '<option selected value="子育て・教育">' in html


def test_a_category_outside_the_list_is_refused_with_a_clear_message(console, editor_client):
    with console.app_context():
        lunch = entry("school-lunch-free")
        post = form_of(lunch, category=HALF_WIDTH)
    page = editor_client.post(f"/admin/entries/{lunch.id}", data=post)
    assert page.status_code == 200 and "カテゴリの一覧にない名前です" in page.get_data(as_text=True)
    with console.app_context():
        assert entry("school-lunch-free").category == "子育て・教育"


def test_admins_cannot_add_a_name_that_only_differs_in_width(console, admin_client):
    response = admin_client.post("/admin/categories", data={"name": HALF_WIDTH}, follow_redirects=True)
    assert "ほとんど同じ名前です" in response.get_data(as_text=True) or "同じカテゴリを使って" in response.get_data(
        as_text=True)
    with console.app_context():
        assert HALF_WIDTH not in names()


def test_add_rename_and_reorder_are_audited_and_entries_follow_a_rename(console, admin_client):
    admin_client.post("/admin/categories", data={"name": "観光"})
    with console.app_context():
        assert names()[-1] == "観光"
        lunch_id = entry("school-lunch-free").id
        kids = db.session.scalar(select(Category).where(Category.name == "子育て・教育"))
        kids_id = kids.id
    admin_client.post(f"/admin/categories/{kids_id}/rename", data={f"c{kids_id}-name": "子育て・学校"})
    with console.app_context():
        lunch = entry("school-lunch-free")
        assert lunch.category == "子育て・学校" and lunch.revisions[-1].reason == "category"
        assert "子育て・教育" not in names()
    admin_client.post(f"/admin/categories/{kids_id}/down")
    with console.app_context():
        assert names()[1] == "子育て・学校"
        actions = set(db.session.scalars(select(AuditLog.action)))
        assert {"category.create", "category.rename", "category.reorder", "entry.category"} <= actions
    history = admin_client.get(f"/admin/entries/{lunch_id}/history").get_data(as_text=True)
    assert "カテゴリ名の変更" in history


def test_editors_cannot_manage_categories(console, editor_client):
    assert editor_client.get("/admin/categories").status_code == 403
    assert editor_client.post("/admin/categories", data={"name": "観光"}).status_code == 403


def test_import_refuses_an_entry_with_an_unknown_category(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    path = pack / "school-lunch-free.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["category"] = HALF_WIDTH
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(Invalid) as info:
        read_pack(pack)
    assert any(p.field == "category" and "categories.yaml の一覧にありません" in p.message and p.file == "school-lunch-free.yaml"
               for p in info.value.problems)


def test_kb_import_takes_the_list_and_kb_export_writes_it(loaded_app, runner, tmp_path):
    with loaded_app.app_context():
        assert names() == read_pack(PACK).categories
    result = runner.invoke(args=["kb", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    exported = yaml.safe_load((tmp_path / "out" / "categories.yaml").read_text(encoding="utf-8"))
    assert exported == read_pack(PACK).categories
    assert read_pack(tmp_path / "out").categories == exported  # the export reads back as a valid pack


def test_kb_check_flags_names_equal_after_nfkc_or_nearly_equal(loaded_app, runner, tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    listed = yaml.safe_load((pack / "categories.yaml").read_text(encoding="utf-8"))
    (pack / "categories.yaml").write_text(yaml.safe_dump(listed + [HALF_WIDTH, "環境・まちづくリ"], allow_unicode=True),
                                          encoding="utf-8")
    result = runner.invoke(args=["kb", "check", str(pack)])
    assert result.exit_code == 1
    assert HALF_WIDTH in result.output and "環境・まちづくリ" in result.output
    assert runner.invoke(args=["kb", "check", str(PACK)]).exit_code == 0


def test_near_duplicates_tells_apart_different_names():
    assert near_duplicates(["子育て・教育", "移住・応援団", "市の計画"]) == []
    assert [p[:2] for p in near_duplicates(["子育て・教育", "子育て 教育"])] == [("子育て・教育", "子育て 教育")]


def test_the_line_menu_follows_the_order_admins_chose(console, admin_client):
    from bot.conversation import replies
    from bot.knowledge.index import knowledge

    with console.app_context():
        before = knowledge().categories()
        last = db.session.scalar(select(Category).where(Category.name == before[-1]))
        last_id = last.id
    assert before == [n for n in names_in(console) if n in before]
    admin_client.post(f"/admin/categories/{last_id}/up")
    with console.app_context():
        after = knowledge().categories()
        chips = [chip.label for chip in replies.topic_chips(knowledge())]
    # The moved category swaps with the one above it, in the menu residents tap as on the admin page.
    assert after == before[:-2] + [before[-1], before[-2]]
    assert chips == after


def names_in(app) -> list[str]:
    with app.app_context():
        return names()


def test_a_pack_import_that_only_reorders_categories_reaches_running_workers(loaded_app, tmp_path):
    """Issue 20: the new order was stored but the version stayed, so every worker kept serving the old menu order."""
    from bot.knowledge.index import knowledge
    from bot.core.version import current_version
    from bot.pack import import_pack

    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    order = read_pack(PACK).categories
    (pack / "categories.yaml").write_text(yaml.safe_dump(order[::-1], allow_unicode=True), encoding="utf-8")
    with loaded_app.app_context():
        served = knowledge().categories()  # a running worker's snapshot
        before = current_version()
        report = import_pack(read_pack(pack))
        assert not report.created and not report.updated  # no entry changed: only the order
        assert names() == order[::-1]
        assert current_version() == before + 1  # one bump, so every worker rebuilds
        assert knowledge().categories() == [c for c in order[::-1] if c in served] != served
