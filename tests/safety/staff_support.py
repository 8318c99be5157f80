"""A pack whose safety rules flag a crisis message 要配慮 (care), for the staff-side tests of issue 18."""
from __future__ import annotations

import shutil
from pathlib import Path

from bot.safety.rules import read_file
from tests.conftest import ROOT

CRISIS = "もう死にたい"
# The shipped pack's crisis rule flags it 要配慮 (care): the tests use a copy so they may point the app at it.


def care_pack(tmp_path: Path) -> Path:
    """Return a copy of the bundled pack in which CRISIS gets a 要配慮 (care) safety reply."""
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    path = target / "safety.yaml"
    assert any(r.flag == "care" for r in read_file(path).detector().match(CRISIS))
    return target


def use_care_pack(app, tmp_path: Path) -> Path:
    """Point the app's safety rules at care_pack() (before its first message)."""
    pack = care_pack(tmp_path)
    app.config["KNOWLEDGE_DIR"] = str(pack)
    app.extensions.pop("safety_rules", None)
    return pack
