"""Forms in the pack: the supporters' club definition, `kb check` problems in Japanese, import and export."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.forms.schema import read_forms, validate
from bot.pack import Invalid, read_pack
from tests.conftest import ROOT

FORM = ROOT / "knowledge" / "forms" / "supporters-club.yaml"


def _definition() -> dict:
    return yaml.safe_load(FORM.read_text(encoding="utf-8"))


def test_the_supporters_club_form_has_the_issues_keys_and_choices():
    form = _definition()
    fields = {f["key"]: f for f in form["fields"]}
    assert list(fields) == ["name", "kana", "email", "prefecture", "city", "relation", "interests", "contact_via",
                            "consent"]
    assert fields["name"]["required"] and fields["kana"]["type"] == "kana" and fields["kana"]["required"]
    assert not fields["email"].get("required") and fields["prefecture"]["required"] and fields["city"]["required"]
    assert fields["relation"]["type"] == "multi_select" and fields["relation"]["required"]
    assert fields["relation"]["choices"] == ["芦別出身", "以前住んでいた", "芦別で働いていた", "ふるさと納税", "家族・親戚がいる", "その他"]
    assert fields["interests"]["choices"] == ["観光", "特産品", "移住", "イベント", "その他"]
    assert not fields["interests"].get("required")
    assert fields["contact_via"] == {**fields["contact_via"], "type": "select", "required": True,
                                     "choices": ["LINE", "メール", "受け取らない"]}
    assert fields["consent"]["type"] == "checkbox" and fields["consent"]["required"]
    assert form["kpi"]["baseline"] == {"value": 24, "year": "令和4年度"}
    assert form["kpi"]["target"] == {"value": 50, "year": "令和6年度"} and "69頁" in form["kpi"]["source"]
    assert "市が定める期間" in form["privacy_notice"] and form["review_note"]
    assert validate(form, "forms/supporters-club.yaml") == []


@pytest.mark.parametrize("change, where, reason", [
    (lambda f: f.pop("purpose"), "purpose", "必須です"),
    (lambda f: f["fields"][0].update(type="colour"), "fields.name.type", "次のどれかにしてください"),
    (lambda f: f["fields"][1].update(key="name"), "fields[2].key", "name が2回出てきます"),
    (lambda f: f["fields"][5].update(choices=[]), "fields.relation.choices", "選択肢を1つ以上"),
    (lambda f: f["fields"][0].update(choices=["a"]), "fields.name.choices", "select と multi_select だけ"),
    (lambda f: f["fields"][0].update(max_length=0), "fields.name.max_length", "1〜10000の整数"),
    (lambda f: f["kpi"]["target"].update(value="五十"), "kpi.target", "0以上の整数"),
    (lambda f: f.update(colour="red"), "colour", "知らない項目です"),
    (lambda f: f.update(slug="Supporters Club"), "slug", "英小文字・数字・ハイフン"),
])
def test_kb_check_names_each_problem_in_japanese(tmp_path, change, where, reason):
    pack = tmp_path / "pack"
    shutil.copytree(ROOT / "knowledge", pack)
    form = _definition()
    change(form)
    (pack / "forms" / "supporters-club.yaml").write_text(yaml.safe_dump(form, allow_unicode=True), encoding="utf-8")
    with pytest.raises(Invalid) as raised:
        read_pack(pack)
    found = [(p.file, p.field, p.message) for p in raised.value.problems]
    assert any(f == "forms/supporters-club.yaml" and w == where and reason in r for f, w, r in found), found


def test_broken_yaml_is_a_japanese_problem(tmp_path):
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "x.yaml").write_text("slug: [unclosed", encoding="utf-8")
    forms, problems = read_forms(tmp_path)
    assert forms == [] and problems and "YAML として読めません" in problems[0].message


def test_kb_check_import_and_export_handle_forms(loaded_app, runner, tmp_path):
    result = runner.invoke(args=["kb", "check"])
    assert result.exit_code == 0 and "1 forms" in result.output
    out = tmp_path / "out"
    assert runner.invoke(args=["kb", "export", str(out)]).exit_code == 0
    exported = yaml.safe_load((out / "forms" / "supporters-club.yaml").read_text(encoding="utf-8"))
    assert exported["fields"] == _definition()["fields"] and exported["kpi"] == _definition()["kpi"]
    # The exported pack imports again without a new version: the round trip keeps the content hash.
    result = runner.invoke(args=["kb", "import", str(out)])
    assert result.exit_code == 0 and "form supporters-club: new version" not in result.output
