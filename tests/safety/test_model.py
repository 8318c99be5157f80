"""Issue 18: the learned second opinion (knowledge/safety-model.yaml), asked only when the rules find nothing.

The shipped model loads and is checked; a broken one leaves the rules alone and `kb check` says why in Japanese;
everyday and FAQ questions stay below its threshold; on the tuned look-alike sets it adds no misfire; `safety train`
never trains on a never-tuned set and writes the same file from the same input; the webhook answers a message the
rules miss but the model catches with the mapped rule's reply, and staff see it marked 自動判定（学習モデル）.
"""
from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
from sqlalchemy import select

from bench._common import QUESTIONS
from bot.extensions import db
from bot.models import QuestionLog
from bot.safety import SafetyCache
from bot.safety import model as learned
from bot.safety.rules import read_file
from tests.conftest import ROOT, shared_path
from tests.support import events
from tests.support.console import ADMIN, login, make_users

PACK = ROOT / "knowledge"
PHRASINGS = ROOT / "tests" / "safety" / "phrasings"
REPLY = "/v2/bot/message/reply"
# Rules miss these (no combination of their concepts holds), the model is sure it is a crisis, and crisis is the class
# it may answer with: the crisis lines.
MISSED = {"もう限界かも": ("crisis", "tel:0570-064-556"), "もうつかれた": ("crisis", "tel:0570-064-556")}
# The model is as sure about these as about an emergency (119 or 110), but it may not answer with those classes
# (answer_classes): everyday complaints it was never shown, and two real emergencies the rules miss.
NOT_ITS_CLASS = ["水がでない", "お湯がでない", "テレビが映らない", "エンジンがかからない", "ゴミが回収されてない",
                 "ストーブがつかない", "信号がついてない", "屋根から落ちた", "知らない人が入ってきた"]


@pytest.fixture(scope="module")
def detector():
    return read_file(PACK / "safety.yaml").detector()


@pytest.fixture(scope="module")
def model(detector):
    return learned.read_file(PACK / learned.MODEL_FILE, [r.slug for r in detector.rules])


def _buttons(message: dict) -> list[str]:
    return [b["action"]["uri"] for b in message["contents"]["footer"]["contents"]]


# --- the file -----------------------------------------------------------------------------------------------------


def test_the_shipped_model_loads_and_every_class_names_a_rule(detector, model):
    slugs = {r.slug for r in detector.rules}
    assert model.classes[0] == "none" and set(model.rules.values()) <= slugs
    assert 0 < model.threshold < 1 and 0 < model.clear < 1 and model.n == 3
    assert model.W.shape == (len(model.vocab), len(model.classes)) and model.b.shape == (len(model.classes),)
    text = (PACK / learned.MODEL_FILE).read_text(encoding="utf-8")
    assert text.startswith("# 緊急メッセージの「学習モデル」") and "ルールが何も見つけなかったときだけ" in text
    assert len(text.encode()) < 2 * 1024 * 1024
    meta = model.meta
    assert meta["training_sets"] and not set(meta["training_sets"]) & learned.NEVER_TRAIN
    assert all(len(f["sha256"]) == 64 and f["count"] > 0 for f in meta["files"].values())
    assert not any(name.split(".")[-2] in learned.NEVER_TRAIN for name in meta["files"])
    assert "cv" in meta and meta["created_at"].endswith("Z")


BROKEN = {
    "classes": (lambda t: t.replace('"119": "medical"', '"119": "no-such-rule"'),
                "safety-model.yaml: classes: 119 のルール「no-such-rule」が safety.yaml にありません"),
    "threshold": (lambda t: t.replace("\nthreshold: ", "\nthreshold: 1", 1),
                  "safety-model.yaml: threshold: threshold は 0 より大きく 1 より小さい数にしてください"),
    "shape": (lambda t: t.replace("bias: [", "bias: [0, ", 1),
              "safety-model.yaml: bias: bias は 8 個の数にしてください"),
    "yaml": (lambda t: t.replace("ngrams: 3", "ngrams: [3", 1), "YAML として読み取れません"),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_broken_model_is_named_in_japanese_by_kb_check_and_the_rules_answer_alone(runner, tmp_path, kind, caplog):
    pack = tmp_path / "knowledge"
    shutil.copytree(PACK, pack)
    path = pack / learned.MODEL_FILE
    change, message = BROKEN[kind]
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    result = runner.invoke(args=["kb", "check", str(pack)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in result.output and "ルールだけで判定します" in result.output
    cache = SafetyCache(pack / "safety.yaml")
    assert cache.model() is None and "ignoring broken" in caplog.text
    assert [r.slug for r in cache.verdict("家が火事です")] == ["fire"]  # the rules are never lost
    assert cache.verdict("もう限界かも") == ()  # the model is not asked


def test_without_the_model_file_the_pack_works_as_before(runner, tmp_path):
    pack = tmp_path / "knowledge"
    shutil.copytree(PACK, pack)
    assert runner.invoke(args=["kb", "check", str(pack)]).exit_code == 0
    (pack / learned.MODEL_FILE).unlink()
    result = runner.invoke(args=["kb", "check", str(pack)])
    assert result.exit_code == 0, result.output
    cache = SafetyCache(pack / "safety.yaml")
    assert cache.model() is None and cache.verdict("もう限界かも") == ()
    assert [r.slug for r in cache.verdict("家が火事です")] == ["fire"]


# --- what it says -------------------------------------------------------------------------------------------------


def test_faq_and_everyday_questions_stay_below_the_threshold(model):
    dev = shared_path("eval", "dev-questions.jsonl")  # the other 60 of the 110 everyday questions
    questions = learned.pack_questions(PACK) + list(QUESTIONS) + [
        json.loads(line)["q"] for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) >= 311 + 110
    loud = [(q, round(model.opinion(q).urgent, 2)) for q in questions if model.opinion(q).answers]
    assert loud == []


def test_the_tuned_look_alike_sets_misfire_no_more_with_the_model(detector, model):
    examples, _ = learned.read_phrasings(PHRASINGS, learned.TUNED_SETS)
    lookalikes = [e.text for e in examples if e.label == "none"]
    assert len(lookalikes) > 1000
    added = [t for t in lookalikes if not detector.match(t) and learned.second_opinion(detector, model, t)]
    assert added == []


def test_the_model_speaks_only_where_the_rules_are_silent_and_not_against_their_intent(detector, model):
    for text, (slug, _) in MISSED.items():
        assert detector.match(text) == ()
        (rule,) = learned.second_opinion(detector, model, text)
        assert rule.slug == slug and rule.learned >= model.threshold
        assert rule.reply == detector.rule(slug).reply and rule.numbers == detector.rule(slug).numbers
    # The rules kept this out on purpose (〜たら reads as hypothetical), yet a bear is walking past now. Allowed every
    # class, the model, sure enough, answers (cross-validation: overruling an intent filter cost no misfire and caught
    # 3 of 635 more); with defer_to_intent: true in the file it stays silent wherever the rules decided on purpose.
    text = "に出たら家の前の道をクマが歩いてて、今となりの裏の林に入っていった"
    every = dataclasses.replace(model, answer_classes=())
    assert detector.match(text) == () and detector.explain(text).held_back
    assert not model.defer and [r.slug for r in learned.second_opinion(detector, every, text)] == ["crime"]
    assert learned.second_opinion(detector, dataclasses.replace(every, defer=True), text) == ()
    assert learned.second_opinion(detector, model, text) == ()  # as shipped: 110 is not a class it may answer with
    # A look-alike kept out by intent stays out: the model is not sure of it either.
    text = "熊の木彫りがいるので、どこで買えるか教えて"
    assert detector.explain(text).held_back and learned.second_opinion(detector, model, text) == ()


def test_the_model_answers_only_with_the_classes_the_file_allows(detector, model):
    # Shipped with the crisis lines only: on everyday complaints of the form 「〇〇がでない／つかない」 the model is as
    # sure of 119 as of a real emergency, and a water outage told to call 119 in a disaster is worse than no answer.
    assert model.answer_classes == ("crisis",)
    for text in NOT_ITS_CLASS:
        opinion = model.opinion(text)
        assert detector.match(text) == () and opinion.label != "crisis", text
        assert not opinion.answers and learned.second_opinion(detector, model, text) == (), text
    sure = [t for t in NOT_ITS_CLASS if model.opinion(t).confident]
    assert len(sure) >= 5  # what the limit is for: the model would have answered these
    every = dataclasses.replace(model, answer_classes=())
    assert all(learned.second_opinion(detector, every, t) for t in sure)


def test_answer_classes_must_name_classes_of_the_file():
    text = (PACK / learned.MODEL_FILE).read_text(encoding="utf-8")
    assert 'answer_classes: ["crisis"]' in text
    with pytest.raises(Exception, match="answer_classes は classes にある種類"):
        learned.parse(text.replace('answer_classes: ["crisis"]', 'answer_classes: ["none"]'))
    with pytest.raises(Exception, match="answer_classes は classes にある種類"):
        learned.parse(text.replace('answer_classes: ["crisis"]', 'answer_classes: ["fire"]'))


# --- training -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sets", ["held", "tune,held2", "fresh12", "fresh13"])
def test_train_refuses_the_never_tuned_sets(runner, tmp_path, sets):
    out = tmp_path / "model.yaml"
    result = runner.invoke(args=["safety", "train", "--sets", sets, "--out", str(out)])
    assert result.exit_code == 1 and "評価用のセットです。学習には使えません" in result.output
    assert not out.exists()
    with pytest.raises(Exception, match="学習には使えません"):
        learned.read_phrasings(PHRASINGS, sets.split(","))


def test_training_is_deterministic(runner, tmp_path, monkeypatch):
    monkeypatch.setitem(learned.SETTINGS, "epochs", 40)  # the same code path, quicker
    out = tmp_path / "model.yaml"
    first = runner.invoke(args=["safety", "train", "--sets", "fresh8", "--out", str(out)])
    assert first.exit_code == 0, first.output
    written = out.read_bytes()
    again = runner.invoke(args=["safety", "train", "--sets", "fresh8", "--out", str(out)])
    assert again.exit_code == 0 and "前と同じです" in again.output and out.read_bytes() == written
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    a = learned.train(PHRASINGS, ["fresh8"], created_at="2027-01-15T08:00:00Z")
    b = learned.train(PHRASINGS, ["fresh8"], created_at="2027-01-15T08:00:00Z")
    assert a == b and learned.parse(a).meta["training_sets"] == ["fresh8"]


# --- the webhook and staff ----------------------------------------------------------------------------------------


def test_the_webhook_answers_what_only_the_model_catches_with_the_rules_reply_and_staff_see_it_marked(
        loaded_app, webhook, fake_line):
    text, (slug, uri) = next(iter(MISSED.items()))
    assert webhook([events.text(text)]).status_code == 200
    (message,) = fake_line.calls(REPLY)[0].body["messages"]
    assert uri in _buttons(message)
    with loaded_app.app_context():
        row = db.session.scalar(select(QuestionLog))
        assert row.outcome == "safety" and row.safety_flag == "care"
        (reply,) = row.safety_reply
        assert reply["slug"] == slug and reply["learned"] >= 0.9
    loaded_app.config["WTF_CSRF_ENABLED"] = False
    make_users(loaded_app)
    client = loaded_app.test_client()
    assert login(client, ADMIN).status_code == 302
    html = client.get("/admin/inbox").get_data(as_text=True)
    flagged = html.split('id="flagged"', 1)[1].split('id="unanswered"', 1)[0]
    assert f"「{text}」" in flagged and "自動判定（学習モデル）" in flagged and "要配慮" in flagged
    overview = client.get("/admin/").get_data(as_text=True)
    assert "自動判定（学習モデル）" in overview


def test_a_rule_answer_is_not_marked_learned(loaded_app, webhook, fake_line):
    webhook([events.text("家が火事です")])
    with loaded_app.app_context():
        (reply,) = db.session.scalar(select(QuestionLog)).safety_reply
        assert reply["slug"] == "fire" and "learned" not in reply


# --- explain ------------------------------------------------------------------------------------------------------


def test_explain_prints_the_models_view(runner):
    text = next(iter(MISSED))
    out = runner.invoke(args=["safety", "explain", text]).output
    assert "学習モデル：緊急である確率 0.9" in out and "→ ルール crisis" in out
    assert "判定を押した文字の並び：「" in out and "学習モデルが答えます" in out
    assert "結果：緊急ではありません" not in out
    out = runner.invoke(args=["safety", "explain", "テレビが映らない"]).output
    assert "種類「119」は answer_classes にないので、学習モデルは答えません" in out
    out = runner.invoke(args=["safety", "explain", "家が火事です"]).output
    assert "ルールが答えるので、学習モデルは使いません" in out
    out = runner.invoke(args=["safety", "explain", "給食費ってタダになるの？"]).output
    assert "学習モデルも答えません" in out and "結果：緊急ではありません。ふだんの答え（FAQ）を探します。" in out


def test_the_probes_set_is_the_developers_probes():
    # *.probes.yaml holds tests/safety/test_probe_kinds.py's probes as a tuned set for training; kept in step.
    from tests.safety.test_probe_kinds import LOOK_ALIKES, URGENT

    examples, _ = learned.read_phrasings(PHRASINGS, ["probes"])
    assert sorted(e.text for e in examples if e.label == "none") == sorted(t for _, _, t in LOOK_ALIKES)
    assert sorted(e.text for e in examples if e.label != "none") == sorted(t for _, _, t, _ in URGENT)


def test_the_fast_path_gives_what_the_training_code_gives(model):
    # One message at a time (dict for short ones, int64 keys and numpy for long ones) = the batched training code.
    texts = ["火事だ", "給食費ってタダになるの？", "ｶｼﾞ!!", "Socorro", "", "子どもの医療費の助成について、" * 30,
             "じいちゃんが風呂で沈んでた、" * 4]
    batch = learned.proba_many(model.vocab, model.W, model.b, texts, model.n, model.lemmas)
    for text, expected in zip(texts, batch):
        assert len(learned.gram_keys(text, model.n)) == len(learned.grams(text, model.n))
        assert max(abs(a - b) for a, b in zip(model.proba(text), expected)) < 1e-9, text


def test_a_message_longer_than_anything_the_model_learnt_from_is_left_to_the_rules(detector, model):
    text = "もう限界かも"
    assert learned.second_opinion(detector, model, text)
    padded = text + "　" * (learned.MAX_CHARS - len(text) + 1)
    assert len(padded.strip()) == len(text) and learned.second_opinion(detector, model, padded) == ()
