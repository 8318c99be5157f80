"""The label registry: each feature names its own codes, a code cannot get two names, and importing any part of a
feature is enough for its names to be there (the order of imports does not matter)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.core import labels

ROOT = Path(__file__).resolve().parents[2]


def test_each_feature_registers_its_own_names(app):
    assert labels.action_label("entry.rollback") == "回答を以前の版に戻す"
    assert labels.action_label("shelter.status") == "避難所の開設状況を変更"
    assert labels.action_label("town.disaster_on") == "災害時モードに切り替え"
    assert labels.action_label("login") == "ログイン"
    assert labels.action_label("no.such") == "その他の操作"
    assert labels.actor_label("kb import") == "パックの取り込み（コマンドライン）"
    assert labels.actor_label("demo seed") == "デモデータ（コマンドライン）"
    assert labels.actor_label("staff@example.jp") == "staff@example.jp"
    assert labels.field_label("review_by") == "見直し期限" and labels.field_label("phone") == "代表電話"
    assert labels.field_label("unknown_key") == "unknown_key"
    assert labels.value_label("status", "published") == "公開"
    assert labels.value_label("channels", ["line", "web", "other"]) == ["LINE", "公開ページ", "other"]
    assert labels.REVISION_REASONS["rollback"] == "以前の版に戻す"
    assert labels.OUTCOME_LABELS["fallback"] == "回答できず"
    assert labels.reason_label("words: 給食費") == "一致した語：給食費"
    assert labels.readable({"status": "draft", "archived": True}) == {"状態": "下書き", "アーカイブ": "アーカイブ"}


def test_a_code_cannot_get_a_second_name():
    import bot.knowledge  # noqa: F401  (registers entry.edit)

    labels.register(actions={"entry.edit": "回答を編集"})  # the same name again: harmless
    with pytest.raises(ValueError, match="entry.edit"):
        labels.register(actions={"entry.edit": "別の名前"})
    with pytest.raises(ValueError, match="status"):
        labels.register(values={"status": {"published": "公開中"}})
    assert labels.action_label("entry.edit") == "回答を編集"
    assert labels.value_label("status", "published") == "公開"


@pytest.mark.parametrize("module, code, name", [
    ("bot.shelters.store", "shelter.status", "避難所の開設状況を変更"),
    ("bot.town.settings", "town.settings", "町の設定を変更"),
    ("bot.offices.store", "office.edit", "担当課を編集"),
    ("bot.signage.facilities", "signage.screen.rekey", "サイネージの画面のURLを再発行"),
], ids=["shelters", "town", "offices", "signage"])
def test_importing_any_part_of_a_feature_registers_its_names(module, code, name):
    # A fresh interpreter: the labels module first (nothing registered), then one module deep inside a feature.
    script = (f"from bot.core.labels import action_label\nassert action_label({code!r}) == 'その他の操作'\n"
              f"import {module}\nprint(action_label({code!r}))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == name
