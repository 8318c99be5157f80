"""One vocabulary for problems (bot/core/problems.py) and the text rules written once (bot/core/textrules.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.core.problems import Invalid, Problem, load_yaml
from bot.forms.schema import read_forms
from bot.forms.schema import validate as validate_form
from bot.knowledge.pack import validate_categories, validate_entry, validate_synonyms
from bot.offices.pack import validate_offices
from bot.pack import read_pack
from bot.shelters.pack import validate as validate_shelters

BOT = Path(__file__).resolve().parents[2] / "bot"
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# What every English reason of the old validators looked like: a sentence of Latin words and no Japanese.
ENGLISH = re.compile(r"^[\x20-\x7e]*$")


def _broken_entries() -> list[object]:
    """Entries that break every rule of validate_entry at least once."""
    return [
        "not a mapping",
        {1: "a number as a field name", "colour": "an unknown field"},
        {"slug": "Bad Slug", "title": "t" * 41, "category": ["not", "text"], "answer": "a\x00b", "status": "someday",
         "questions": "not a list", "keywords": ["k" * 201], "url": "javascript:alert(1)", "updated_on": "2026-13-45",
         "review_by": 20260401, "source": ""},
        {"slug": "ok-slug", "title": "題", "category": "c", "answer": "a", "status": "published", "source": "s",
         "questions": ["q"] * 2 + [str(n) for n in range(200)]},
        {"slug": "few", "title": "題", "category": "c", "answer": "a", "status": "published", "source": "s",
         "questions": ["一つ"]},
    ]


def _all_problems(tmp_path: Path) -> list[Problem]:
    problems: list[Problem] = []
    for n, raw in enumerate(_broken_entries()):
        problems += validate_entry(raw, f"entry{n}.yaml")
    problems += validate_synonyms("a string", "synonyms.yaml") + validate_synonyms({"w": "x"}, "synonyms.yaml")
    problems += validate_categories([], "categories.yaml") + validate_categories(["a", "a"], "categories.yaml")
    problems += validate_offices("x") + validate_offices([{"key": "Bad Key", "name": 3, "phone": "abc",
                                                          "url": "ftp://x", "email": "nope", "extra": 1}])
    problems += validate_shelters("x") + validate_shelters({"shelters": [{"key": "Bad", "kinds": ["meteor"]}]})
    problems += validate_form("x", "forms/x.yaml") + validate_form({"slug": "Bad", "extra": 1}, "forms/y.yaml")
    # The files load_yaml cannot read: not UTF-8, bad YAML, a date that does not exist.
    for name, data in (("latin1.yaml", "title: caf\xe9".encode("latin-1")), ("syntax.yaml", b"title: [unclosed\n"),
                       ("date.yaml", b"updated_on: 2026-13-45\n")):
        (tmp_path / name).write_bytes(data)
        problems += load_yaml(tmp_path / name)[1]
    # The pack as a whole: a file named after another slug, two copies of one entry, a category not listed.
    pack = tmp_path / "pack"
    pack.mkdir()
    entry = {"slug": "one", "title": "題", "category": "ない", "answer": "a", "status": "draft", "source": "s",
             "questions": ["q"]}
    (pack / "categories.yaml").write_text(yaml.safe_dump(["ある"], allow_unicode=True), encoding="utf-8")
    for name in ("one.yaml", "two.yaml"):
        (pack / name).write_text(yaml.safe_dump(entry, allow_unicode=True), encoding="utf-8")
    (pack / "forms").mkdir()
    (pack / "forms" / "bad.yaml").write_text("slug: [\n", encoding="utf-8")
    with pytest.raises(Invalid) as caught:
        read_pack(pack)
    problems += caught.value.problems
    with pytest.raises(Invalid) as caught:
        read_pack(tmp_path / "missing")
    problems += caught.value.problems
    problems += read_forms(pack)[1]
    return problems


def test_every_pack_problem_is_written_in_japanese(tmp_path):
    problems = _all_problems(tmp_path)
    assert len(problems) >= 50  # the broken inputs above reach every kind of rule
    fields = {(p.file, p.field) for p in problems}
    # Spot checks that the broken inputs were seen where they were written.
    assert {("entry2.yaml", "slug"), ("entry2.yaml", "url"), ("latin1.yaml", "-"), ("two.yaml", "slug"),
            ("one.yaml", "category")} <= fields
    english = [str(p) for p in problems if not JAPANESE.search(p.message) or ENGLISH.match(p.message)]
    assert english == []


def test_entry_rules_keep_the_words_staff_read_in_the_editor():
    # These are the words the console showed before, through a translation step that no longer exists.
    found = {(p.field, p.message) for p in validate_entry(_broken_entries()[2], "form")}
    assert {
        ("slug", "半角の英小文字・数字・ハイフン（-）で入力してください"),
        ("title", "40文字以内にしてください"),
        ("category", "文字で入力してください"),
        ("answer", "制御文字（NULなど）は使えません"),
        ("status", "「公開」か「下書き」を選んでください"),
        ("questions", "1行に1つずつ入力してください"),
        ("keywords", "1件200文字以内にしてください"),
        ("url", "http:// か https:// で始まるURLを入力してください"),
        ("updated_on", "日付は 2026-04-01 の形で入力してください"),
        ("review_by", "日付は 2026-04-01 の形で入力してください"),
        ("source", "入力してください"),
    } <= found
    assert ("questions", "公開するには想定質問を6件以上入れてください") in {
        (p.field, p.message) for p in validate_entry(_broken_entries()[4], "form")}


def test_invalid_carries_every_problem_and_groups_them_by_field():
    error = Invalid([Problem("form", "title", "入力してください"), Problem("form", "title", "40文字以内にしてください"),
                     Problem("form", "url", "URLの形が正しくありません")])
    assert isinstance(error, ValueError)
    assert error.errors == {"title": ["入力してください", "40文字以内にしてください"], "url": ["URLの形が正しくありません"]}
    assert error.message == "入力してください\n40文字以内にしてください\nURLの形が正しくありません"
    single = Invalid("名前を入力してください。")
    assert str(single) == "名前を入力してください。" and single.problems == [Problem("form", "-", "名前を入力してください。")]
    assert str(Invalid("今のパスワードが違います。", "current")) == "今のパスワードが違います。"  # no code names for staff
    in_file = Invalid([Problem("offices.yaml", "[1].key", "識別名 a が2回あります")])
    assert str(in_file) == "offices.yaml: [1].key: 識別名 a が2回あります"


# A character class holding a control-character range (NUL…US, or DEL), as a regular expression writes it.
_CONTROL_CLASS = re.compile(r"""re\.compile\(\s*r?["'][^"']*\\x(?:00-|0e-|1f|7f)""")
_SLUG_PATTERN = "[a-z0-9]+(?:-[a-z0-9]+)*"
# Rules that look alike but mean something else, each named for what it is.
_OTHER_RULES = {
    "notices/feed.py": "_NOT_XML",  # the characters XML 1.0 cannot hold (a feed must parse)
}


def _sources():
    for path in sorted(BOT.rglob("*.py")):
        yield path.relative_to(BOT).as_posix(), path.read_text(encoding="utf-8")


def test_text_rules_are_written_once_in_core_textrules():
    copies = []
    for name, text in _sources():
        if name == "core/textrules.py":
            continue
        for line in text.splitlines():
            if _CONTROL_CLASS.search(line) and not (name in _OTHER_RULES and _OTHER_RULES[name] in line):
                copies.append(f"{name}: {line.strip()}")
            if _SLUG_PATTERN in line or "EMAIL_RE = " in line or "@[A-Za-z0-9" in line:
                copies.append(f"{name}: {line.strip()}")
    assert copies == [], "import the rule from bot.core.textrules instead"


def test_the_grep_finds_a_copy_where_there_is_one():
    # The check above must not pass by looking for the wrong thing.
    assert _CONTROL_CLASS.search('_CONTROL = re.compile(r"[\\x00-\\x1f\\x7f\\ud800-\\udfff]")')
    assert _CONTROL_CLASS.search('_CONTROLS = re.compile(r"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]")')
    textrules = (BOT / "core" / "textrules.py").read_text(encoding="utf-8")
    assert len([line for line in textrules.splitlines() if _CONTROL_CLASS.search(line)]) == 2  # CONTROL, _OR_BREAK
    assert _SLUG_PATTERN in textrules
