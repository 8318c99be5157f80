"""A pack whose safety rules flag a crisis message 要配慮 (care), for the staff-side tests of issue 18."""
from __future__ import annotations

import shutil
from pathlib import Path

from bot.safety import SafetyMatcher
from bot.safety.rules import read_file
from tests.conftest import ROOT

CRISIS = "もう死にたい"
# Only in the tests' own copy of the pack, and only when the shipped rules do not flag CRISIS as care yet: the
# crisis rules themselves (and their official numbers) belong to knowledge/safety.yaml, not to these tests.
CARE_RULE = """
  - slug: test-crisis
    title: こころの相談
    flag: care
    numbers: ["0570-064-556"]
    reply: |-
      つらい気持ちを話してくれてありがとうございます。こころの健康相談統一ダイヤル 0570-064-556 に電話してください。
    source: 厚生労働省「まもろうよ こころ」（テスト用の規則）
    terms:
      - 死にたい
"""


def care_pack(tmp_path: Path) -> Path:
    """Return a copy of the bundled pack in which CRISIS gets a 要配慮 (care) safety reply."""
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    path = target / "safety.yaml"
    if not any(r.flag == "care" for r in SafetyMatcher(read_file(path)).match(CRISIS)):
        path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + CARE_RULE, encoding="utf-8")
    assert any(r.flag == "care" for r in SafetyMatcher(read_file(path)).match(CRISIS))
    return target


def use_care_pack(app, tmp_path: Path) -> Path:
    """Point the app's safety rules at care_pack() (before its first message)."""
    pack = care_pack(tmp_path)
    app.config["KNOWLEDGE_DIR"] = str(pack)
    app.extensions.pop("safety_rules", None)
    return pack
