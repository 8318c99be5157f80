"""kpi.yaml states the plan's nine KPIs exactly as the plan does: every number, year, page and section is read back
from the source document here; a KPI without a number in the plan has none in the pack."""
from __future__ import annotations

import re
import shutil
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.core.problems import Invalid
from bot.kpi.pack import KPI_FILE, validate
from bot.pack import read_pack
from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "knowledge"
# Issue 23 §2 names them: the board must have these nine, in this order.
NAMES = ["応援団登録者数", "妊産婦支援の助成件数", "給食費無償化の導入学校数", "コンビニ交付利用率", "サイネージ設置施設数",
         "母子手帳アプリ利用者数", "保育アプリ利用率", "ゼロカーボン実行計画の策定", "照明のLED化率"]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _numbers(text: str) -> list[Decimal]:
    return [Decimal(n) for n in re.findall(r"\d+(?:\.\d+)?", unicodedata.normalize("NFKC", text))]


@pytest.fixture(scope="module")
def source() -> list[str]:
    return shared_path("source", "000_814edfe68be90aab.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def kpis() -> list[dict]:
    return yaml.safe_load((PACK / KPI_FILE).read_text(encoding="utf-8"))["kpis"]


def _block(lines: list[str], policy: str) -> tuple[int, str]:
    """Return where the policy's heading is and the text of its KPI block (to the plan's ※ note), squashed."""
    starts = [i for i, line in enumerate(lines) if _squash(line) == _squash(policy)]
    assert len(starts) == 1, f"{policy}: found {len(starts)} times in the plan"
    start = starts[0]
    end = next(i for i in range(start, len(lines)) if lines[i].lstrip().startswith("※"))
    return start, _squash("".join(lines[start + 1:end]))


def _before(lines: list[str], start: int, pattern: str) -> re.Match:
    for i in range(start, -1, -1):
        match = re.search(pattern, lines[i])
        if match:
            return match
    raise AssertionError(f"no {pattern} before line {start}")


def test_the_pack_has_the_nine_kpis_of_the_plan(kpis):
    assert [k["name"] for k in kpis] == NAMES
    assert read_pack(PACK).kpi is not None and len(read_pack(PACK).kpi) == 9


def test_every_number_year_page_and_section_is_the_plans(source, kpis):
    for k in kpis:
        start, block = _block(source, k["policy"])
        # The measure, then the baseline, then the target, as the plan's table reads.
        assert _squash(k["measure"]) in block, k["key"]
        after = 0 if k.get("kind") == "milestone" else block.find(_squash(k["measure"]))
        base_at = block.find(_squash(k["baseline"]["text"]), after)
        assert base_at >= 0, (k["key"], k["baseline"]["text"], block)
        target_at = block.find(_squash(k["target"]["text"]), base_at + len(_squash(k["baseline"]["text"])))
        assert target_at > base_at, (k["key"], k["target"]["text"], block)
        # The years come from the table's header: 具体的な施策 基準値（R4） ＫＰＩ（R6）.
        header = _before(source, start, r"基準値（([RH]\d+)）\s*ＫＰＩ（([RH]\d+)）")
        assert (k["baseline"]["year"], k["target"]["year"]) == header.groups(), k["key"]
        # The page: the nearest 【総合戦略NN頁】 above the table.
        page = _before(source, start, r"【総合戦略([０-９0-9]+)頁】")
        assert int(unicodedata.normalize("NFKC", page.group(1))) == k["page"], k["key"]
        # The section: the goal (・基本目標N) and the program (N．…) above it.
        goal = _before(source, start, r"・(基本目標[０-９0-9]+)")
        assert goal.group(1) == k["goal"], k["key"]
        program = _before(source, start, r"^([０-９]．\S+?)(?:【|\s*$)")
        assert _squash(program.group(1)) == _squash(k["program"]), k["key"]
        # The numbers: where the plan gives one, the pack's value is that number; where it gives none, the pack
        # has none (未策定, 基準値を維持), and the kind says how the board reads the actual instead.
        for point in ("baseline", "target"):
            given = k[point]
            found = _numbers(given["text"])
            if "value" in given:
                assert found and Decimal(str(given["value"])) == found[-1], (k["key"], point)
                assert unicodedata.normalize("NFKC", given["text"]).endswith(k["unit"]), (k["key"], point)
            else:
                assert k.get("kind") in ("maintain", "milestone"), (k["key"], point)
        if k.get("live"):
            assert k["live"] in ("supporters_club", "signage_facilities")


def test_no_number_the_plan_does_not_give(source, kpis):
    text = _squash(unicodedata.normalize("NFKC", "".join(source)))
    nursery = next(k for k in kpis if k["key"] == "nursery-app")
    assert "value" not in nursery["target"] and nursery["target"]["text"] == "基準値を維持"
    zero = next(k for k in kpis if k["key"] == "zero-carbon-plan")
    assert "value" not in zero["baseline"] and "value" not in zero["target"]
    for k in kpis:
        for point in ("baseline", "target"):
            if "value" in k[point]:
                number = Decimal(str(k[point]["value"]))
                shown = f"{number.normalize():f}"
                assert shown in text, (k["key"], point, shown)


def _problems(raw) -> list[str]:
    return [f"{p.field}: {p.message}" for p in validate(raw)]


def test_a_broken_kpi_file_is_explained_in_japanese():
    good = yaml.safe_load((PACK / KPI_FILE).read_text(encoding="utf-8"))
    assert validate(good) == []
    assert _problems([1, 2]) == ["-: kpis（KPIの一覧）を持つ「項目名: 値」の形で書いてください"]
    assert _problems({"kpis": "x"}) == ["kpis: KPIの一覧（「- key: ...」の並び）を書いてください"]
    first = dict(good["kpis"][0])
    cases = {
        "page": ("abc", "ページは総合戦略のページ番号"),
        "unit": ("人", "単位は"),
        "kind": ("more", "目標の種類（kind）は"),
        "live": ("weather", "自動集計（live）は"),
        "baseline": ({"value": -1, "year": "R4", "text": "x"}, "0以上の数"),
        "target": ({"value": 50, "year": "2024", "text": "５０名"}, "年度は計画の書き方"),
        "extra": ("?", "不明な項目です"),
    }
    for name, (value, message) in cases.items():
        raw = {"kpis": [{**first, name: value}]}
        found = _problems(raw)
        assert any(message in p for p in found), (name, found)
    missing = {k: v for k, v in first.items() if k != "measure"}
    assert any("指標を入力してください" in p for p in _problems({"kpis": [missing]}))
    no_value = {**first, "target": {"year": "R6", "text": "５０名"}}
    assert any("数値（value）を書いてください" in p for p in _problems({"kpis": [no_value]}))
    twice = {"kpis": [first, first]}
    assert any("が2回あります" in p for p in _problems(twice))


def test_kb_check_refuses_a_broken_kpi_file(tmp_path):
    pack_dir = tmp_path / "pack"
    shutil.copytree(PACK, pack_dir)
    (pack_dir / KPI_FILE).write_text("kpis:\n  - key: x\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(Invalid) as info:
        read_pack(pack_dir)
    assert KPI_FILE in str(info.value)
