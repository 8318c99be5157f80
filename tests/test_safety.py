"""Safety first: urgent messages get 119 / 110 / #8000 from knowledge/safety.yaml before any FAQ matching."""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from linebot.v3.messaging import Message
from sqlalchemy import select

from bot.conversation import Incoming, prepare, replies
from bot.extensions import db
from bot.inbox import open_questions
from bot.knowledge.index import knowledge
from bot.knowledge.transfer import parse_upload
from bot.line.messages import Town, tel_uri
from bot.models import QuestionLog
from bot.safety import SafetyCache, SafetyMatcher
from bot.safety.matcher import Pair, Rule
from bot.safety.rules import SafetyFileError, parse, read_file
from tests import events
from tests.conftest import ROOT, shared_path
from tests.safety_phrases import EVERYDAY, URGENT

PACK_RULES = ROOT / "knowledge" / "safety.yaml"
REPLY = "/v2/bot/message/reply"
TOWN = Town("芦別市", "芦別市役所", "", "https://www.city.ashibetsu.hokkaido.jp/")


@pytest.fixture(scope="module")
def rules() -> SafetyMatcher:
    return SafetyMatcher(read_file(PACK_RULES))


def _slugs(matcher: SafetyMatcher, text: str) -> list[str]:
    return [r.slug for r in matcher.match(text)]


def test_the_phrase_sets_are_big_enough_and_hold_the_issue_examples():
    assert len(URGENT) >= 40 and len(EVERYDAY) >= 40
    urgent = {text for text, _ in URGENT}
    assert {"熊が出た", "くまいる", "火事だ", "救急車呼んで", "子どもが夜中に熱出した", "ひきつけ",
            "夜中に子どもが熱出した", "熊が出たらどこに連絡すればいい？"} <= urgent
    assert {"熊でた", "ひぐま見たっしょ", "なまら熱ある", "火事だべ"} <= urgent  # Hokkaido dialect, as issue 12 wrote it
    assert {"火曜日", "熊の木彫り", "救急の日のイベント", "子どもの医療費の助成", "火災報知器の補助はある？"} <= set(EVERYDAY)


def test_urgent_messages_are_caught_and_everyday_ones_are_not(rules):
    missed = [(text, want, _slugs(rules, text)) for text, want in URGENT if want not in _slugs(rules, text)]
    misfired = [(text, _slugs(rules, text)) for text in EVERYDAY if rules.match(text)]
    caught = 1 - len(missed) / len(URGENT)
    misfire = len(misfired) / len(EVERYDAY)
    print(f"\nsafety: caught {caught:.1%} of {len(URGENT)} urgent, misfired on {misfire:.1%} of {len(EVERYDAY)} everyday")
    for text, want, got in missed:
        print(f"  missed   {text!r}: wanted {want}, got {got or 'nothing'}")
    for text, got in misfired:
        print(f"  misfired {text!r}: {got}")
    assert caught >= 0.95, missed
    assert misfire <= 0.05, misfired


def test_the_issue_examples_each_reach_their_rule(rules):
    assert _slugs(rules, "夜中に子どもが熱出した") == ["child-night-illness"]
    assert _slugs(rules, "熊が出たらどこに連絡すればいい？") == ["dangerous-animal"]
    assert _slugs(rules, "救急車呼んで") == ["fire-ambulance"]
    for text in ("熊の木彫り", "火曜日", "救急の日のイベント", "子どもの医療費の助成", "火災報知器の補助はある？"):
        assert rules.match(text) == (), text


def test_the_eval_questions_never_get_a_safety_reply(rules):
    lines = shared_path("eval", "dev-questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["q"] for line in lines if line.strip()]
    fired = [(q, _slugs(rules, q)) for q in questions if rules.match(q)]
    assert len(questions) >= 50 and fired == []


def _one(**kw) -> SafetyMatcher:
    base = dict(slug="t", title="t", numbers=("119",), reply="119")
    return SafetyMatcher([Rule(**(base | kw))])


def test_exclusions_mask_their_span_and_unless_words_veto_the_rule():
    m = _one(pairs=(Pair(("火",), ("出た", "でた"), 3),), exclude=("火曜",), unless=("訓練",))
    assert m.match("台所から火が出た") and m.match("火でた")
    assert not m.match("火曜日に出た")  # 火 belongs to 火曜日
    assert m.match("火曜日だけど火が出た")  # an excluded 火 does not hide another one
    assert not m.match("火が出た想定の訓練")


def test_a_pair_needs_its_subject_and_event_close_together():
    m = _one(pairs=(Pair(("熊",), ("出た",), 5),))
    assert m.match("熊が出た") and m.match("出た！熊")
    assert not m.match("熊" + "あ" * 10 + "出た")


def test_long_terms_forgive_one_typo_and_short_ones_do_not():
    m = _one(terms=("きゅうきゅうしゃ", "かじだ"))
    assert m.match("きゅうきゅしゃよんで") and m.match("きゅうきゅうしや")
    assert not m.match("かじた")  # three characters: one typo away from too many words
    assert not m.match("きゅうりの")


def test_kanji_typos_and_mixed_spelling_match_by_sudachi_reading():
    m = _one(terms=("救急車",))
    assert m.match("救急者よんで")  # same reading, wrong kanji
    assert m.match("きゅうきゅう車ってどう呼ぶの")
    assert not m.match("市役所の駐車場はどこ")  # shares 車, not the reading


def test_katakana_width_and_punctuation_fold_as_the_matcher_folds(rules):
    for text in ("クマイル", "ｸﾏｲﾙ", "く ま い る", "熊、出た。。", "ＫＡＪＩ" and "カジダ"):
        assert rules.match(text), text


def test_parse_reports_each_problem_in_japanese():
    bad = """
rules:
  - slug: Fire
    title: 火事
    numbers: ["911", "#80000"]
    reply: 119番へ
    terms: [火事]
    pairs: [{subjects: [熊], events: []}]
    colour: red
  - slug: ok
    title: ok
    numbers: ["110"]
    reply: 電話してください
    source: 110番
    terms: [泥棒]
"""
    with pytest.raises(SafetyFileError) as caught:
        parse(bad)
    text = str(caught.value)
    assert "英小文字・数字・ハイフン" in text and "知らない項目があります：colour" in text
    assert "source: 必ず書いてください" in text
    assert "「#80000」は電話番号として使えません" in text
    assert "返信の文に番号「911」を書いてください" in text
    assert "subjects と events の両方に言葉が必要です" in text
    assert "2番目のルール（ok）・reply: 返信の文に番号「110」を書いてください" in text
    with pytest.raises(SafetyFileError, match="YAML として読み取れません"):
        parse("rules:\n  - slug: x\n   title: [\n")
    with pytest.raises(SafetyFileError, match="rules:"):
        parse("- just a list\n")


@pytest.fixture
def pack_dir(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


def test_kb_check_names_a_broken_safety_file_in_japanese(runner, pack_dir):
    ok = runner.invoke(args=["kb", "check", str(pack_dir)])
    assert ok.exit_code == 0 and f"{len(read_file(PACK_RULES))} safety rules" in ok.output
    (pack_dir / "safety.yaml").write_text("rules:\n  - slug: fire\n    numbers: [\"119\"\n", encoding="utf-8")
    result = runner.invoke(args=["kb", "check", str(pack_dir)])
    assert result.exit_code == 1
    assert "safety.yaml: 4行目: YAML として読み取れません" in result.output
    assert "Traceback" not in result.output
    (pack_dir / "safety.yaml").write_text("rules:\n  - slug: fire\n    title: 火事\n    numbers: [119]\n"
                                          "    reply: すぐに電話\n    source: 119番\n    terms: [火事]\n",
                                          encoding="utf-8")
    result = runner.invoke(args=["kb", "check", str(pack_dir)])
    assert "safety.yaml: 1番目のルール（fire）・reply: 返信の文に番号「119」を書いてください" in result.output


def test_kb_import_refuses_a_pack_with_a_broken_safety_file(loaded_app, runner, pack_dir):
    (pack_dir / "safety.yaml").write_bytes(b"rules: [\xff\xfe")
    result = runner.invoke(args=["kb", "import", str(pack_dir)])
    assert result.exit_code == 1 and "safety.yaml: safety.yaml: UTF-8 のテキストではありません" in result.output


def test_a_console_zip_upload_skips_safety_yaml_with_a_note(loaded_app):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("knowledge/safety.yaml", PACK_RULES.read_text(encoding="utf-8"))
        archive.writestr("knowledge/zero-carbon.yaml", (ROOT / "knowledge" / "zero-carbon.yaml").read_text("utf-8"))
    with loaded_app.app_context():
        staged = parse_upload("pack.zip", buffer.getvalue())
    assert staged.problems == [] and [e["slug"] for e in staged.entries] == ["zero-carbon"]
    assert any("safety.yaml" in note for note in staged.notes)


def test_rules_are_compiled_again_only_when_the_file_changes(tmp_path):
    path = tmp_path / "safety.yaml"
    shutil.copy(PACK_RULES, path)
    cache = SafetyCache(path)
    first = cache.matcher()
    assert len(first) == len(read_file(PACK_RULES)) >= 5 and cache.matcher() is first
    text = path.read_text(encoding="utf-8").replace("      - 泥棒\n", "      - 泥棒\n      - 万引き\n")
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a new stamp even on file systems with coarse mtimes
    second = cache.matcher()
    assert second is not first and second.match("万引きされた")
    path.write_text("rules: [", encoding="utf-8")  # a broken edit at run time keeps the last good rules
    os.utime(path, ns=(2, 2))
    assert cache.matcher() is second


def test_tel_uris_are_valid_and_percent_encode_the_hash():
    assert tel_uri("119") == "tel:119" and tel_uri("#8000") == "tel:%238000"
    assert tel_uri("0124-22-2111") == "tel:0124-22-2111" and tel_uri("(0124) 22-2111") == "tel:012422-2111"
    parts = urlsplit(tel_uri("#8000"))
    assert parts.scheme == "tel" and parts.fragment == "" and unquote(parts.path) == "#8000"


def _every_urgent_message(rules: SafetyMatcher) -> dict[str, dict]:
    out = {r.slug: replies.urgent((r,), TOWN) for r in rules.rules}
    out["town phone"] = replies.urgent(rules.rules[2:3], Town("芦別市", "芦別市役所", "0124-22-2111", TOWN.website))
    out["several"] = replies.urgent(rules.rules, TOWN)
    return out


def test_urgent_replies_are_what_the_sdk_would_send_with_the_number_first(rules):
    for name, message in _every_urgent_message(rules).items():
        assert Message.from_dict(message).to_dict() == message, name
        buttons = message["contents"]["footer"]["contents"]
        uris = [b["action"]["uri"] for b in buttons]
        assert all(u.startswith(("tel:", "https://")) and "#" not in u for u in uris), uris
        assert all(len(b["action"]["label"]) <= 20 for b in buttons)
        first_number = rules.rules[0].numbers[0] if name == "several" else None
        body = message["contents"]["body"]["contents"][0]["text"]
        assert message["altText"].startswith(body[:50])
        if first_number:
            assert body.index(first_number) < 40
    child = _every_urgent_message(rules)["child-night-illness"]
    assert [b["action"]["uri"] for b in child["contents"]["footer"]["contents"]] == ["tel:%238000", "tel:119"]


def test_the_town_phone_is_shown_only_when_set(rules):
    bear = rules.rules[2]
    assert bear.town
    without = json.dumps(replies.urgent((bear,), TOWN), ensure_ascii=False)
    assert "芦別市役所にもお知らせください" in without and TOWN.website in without and "電話 " not in without
    with_phone = json.dumps(replies.urgent((bear,), Town("芦別市", "芦別市役所", "0124-22-2111", TOWN.website)),
                            ensure_ascii=False)
    assert "芦別市役所（電話 0124-22-2111）" in with_phone and "tel:0124-22-2111" in with_phone


def test_an_urgent_message_is_never_matched_against_the_faq(loaded_app):
    with loaded_app.app_context(), loaded_app.test_request_context():
        text = "夜中に子どもが熱出した"
        # Without safety first, the FAQ would offer the medical-subsidy entry for this message.
        assert "child-medical-subsidy" in [c.id for c in knowledge().decide(text).candidates]
        prepared = prepare(Incoming("text", text=text))
        assert prepared.decision is None and [r.slug for r in prepared.urgent] == ["child-night-illness"]


def test_webhook_answers_an_urgent_message_with_119_first_and_no_faq_bubble(loaded_app, webhook, fake_line):
    response = webhook([events.text("救急車よんで 電話は090-1234-5678")])
    assert response.status_code == 200
    messages = fake_line.calls(REPLY)[0].body["messages"]
    assert len(messages) == 1
    message = messages[0]
    assert Message.from_dict(message).to_dict() == message
    assert message["altText"].startswith("火事・救急は すぐに 119番")
    flat = json.dumps(message, ensure_ascii=False)
    assert "出典：" not in flat and "👍" not in flat and "tel:119" in flat
    with loaded_app.app_context():
        row = db.session.scalar(select(QuestionLog))
        assert row.outcome == "safety" and row.entry_slug is None
        assert "090-1234-5678" not in row.text  # masked as every question is
        listed, _held = open_questions()
        assert row.text not in [r.text for r in listed]  # not an unanswered question for the inbox


def test_webhook_everyday_question_still_gets_the_faq(loaded_app, webhook, fake_line):
    webhook([events.text("子どもの医療費の助成")])
    message = fake_line.calls(REPLY)[0].body["messages"][0]
    assert "救急" not in json.dumps(message, ensure_ascii=False)
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog)).outcome in ("answer", "suggest")


def test_simulator_shows_the_safety_reply(loaded_app):
    client = loaded_app.test_client()
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post("/simulator/send", json={"text": "くまいる"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    data = response.get_json()
    assert data["outcome"] == "safety" and data["entry"] is None
    flat = json.dumps(data, ensure_ascii=False)
    assert "110番" in flat and "tel:110" in flat


def test_a_redelivered_urgent_message_is_answered_once(loaded_app, webhook, fake_line):
    event = events.text("火事だ")
    webhook([event])
    webhook([{**event, "deliveryContext": {"isRedelivery": True}}])
    assert len(fake_line.calls(REPLY)) == 1
    with loaded_app.app_context():
        assert len(db.session.scalars(select(QuestionLog)).all()) == 1


def test_a_broken_safety_file_at_run_time_is_logged_not_a_500(loaded_app, webhook, fake_line, pack_dir, caplog):
    (pack_dir / "safety.yaml").write_text("rules: [", encoding="utf-8")
    loaded_app.config["KNOWLEDGE_DIR"] = str(pack_dir)
    assert webhook([events.text("給食費ってタダになるの？")]).status_code == 200
    assert "給食" in fake_line.calls(REPLY)[0].body["messages"][0]["altText"]
    assert "ignoring broken" in caplog.text and "safety.yaml" in caplog.text


def test_the_disaster_menus_emergency_button_gets_every_number(rules):
    """The 緊急連絡先 tile sends a message; it must get 119, 110 and #8000, not the contact reply."""
    from bot.richmenu import packfile

    menus, problems = packfile.read(ROOT / "knowledge")
    assert not problems
    texts = [t["action"]["text"] for t in menus["disaster"]["tiles"] if t["action"]["type"] == "message"]
    assert "緊急連絡先" in texts
    for text in texts:
        matched = rules.match(text)
        assert [r.slug for r in matched] == ["emergency-contacts"], text
        assert list(matched[0].numbers) == ["119", "110", "#8000"]
