"""Safety first: urgent messages get 119 / 110 / #8000 / the crisis lines from knowledge/safety.yaml, before any FAQ.

The detector works on concepts (Sudachi normalised forms and readings), combines them per category, and keeps
everyday questions out by intent. These tests hold it to the team's own phrasings (tests/safety/phrases.py), check
each mechanism on a small hand-made lexicon, and send every category through a signed webhook to the fake LINE API.
"""
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
import yaml
from linebot.v3.messaging import Message
from sqlalchemy import select

from bot.conversation import Incoming, prepare, replies
from bot.extensions import db
from bot.inbox.store import open_questions
from bot.knowledge.index import knowledge
from bot.pack.transfer import parse_upload
from bot.line.messages import tel_uri
from bot.town.model import Town
from bot.models import QuestionLog
from bot.safety import SafetyCache
from bot.safety.cli import render
from bot.safety.detector import CARE, URGENT, Concept, Detector, Rule
from bot.core.problems import Invalid
from bot.safety.rules import MAX_CONCEPTS, parse, read_file
from tests.support import events
from tests.conftest import ROOT, shared_path
from tests.safety.phrases import CRISIS, EVERYDAY, OTHER_EVERYDAY, OTHER_LANGUAGES
from tests.safety.phrases import URGENT as URGENT_PHRASES

PACK_RULES = ROOT / "knowledge" / "safety.yaml"
REPLY = "/v2/bot/message/reply"
TOWN = Town("芦別市", "芦別市役所", "", "https://www.city.ashibetsu.hokkaido.jp/")
CRISIS_LINES = {"0570-064-556", "0120-279-338", "0120-783-556"}


@pytest.fixture(scope="module")
def pack():
    return read_file(PACK_RULES)


@pytest.fixture(scope="module")
def rules(pack) -> Detector:
    return pack.detector()


def _slugs(detector: Detector, text: str) -> list[str]:
    return [r.slug for r in detector.match(text)]


def _rule(slug: str = "t", **kw) -> Rule:
    return Rule(**({"slug": slug, "title": slug, "flag": URGENT, "numbers": ("119",), "reply": "119"} | kw))


# --- the phrase sets -------------------------------------------------------------------------------------------


def test_the_phrase_sets_are_big_enough_and_hold_the_issue_examples():
    assert len(URGENT_PHRASES) >= 100 and len(EVERYDAY) >= 80 and len(OTHER_LANGUAGES) >= 20 and len(CRISIS) >= 15
    urgent = {text for text, _ in URGENT_PHRASES}
    assert {"熊が出た", "くまいる", "火事だ", "救急車呼んで", "子どもが夜中に熱出した", "ひきつけ",
            "熊が出たらどこに連絡すればいい？", "熊でた", "ひぐま見たっしょ", "なまら熱ある", "火事だべ"} <= urgent
    # Issue 18: chest pain, a stroke, trapped by snow, a smell of gas (wanting to die is in CRISIS, English below).
    assert {"胸が痛くて息ができない", "父の顔が片方だけ下がって、ろれつが回ってない", "雪に埋まって動けない、助けて",
            "ガスのにおいがする"} <= urgent
    english = {text for text, _ in OTHER_LANGUAGES}
    assert {"my house is on fire", "my father collapsed and is not breathing", "there is a bear in my yard",
            "someone broke into my house", "I want to die"} <= english
    assert {"火災保険の手続き", "救急の日のイベント", "熊本に引っ越したい", "熊の木彫りはどこで買える", "AED講習を受けたい",
            "消防団の募集", "心臓検診の補助はある？", "死ぬほど眠い", "DV相談窓口の時間", "ガス料金の支払い",
            "雪かきボランティアに参加したい"} <= set(EVERYDAY)
    assert "fire department open hours" in OTHER_EVERYDAY


def test_urgent_messages_are_caught_and_everyday_ones_are_not(rules):
    cases = URGENT_PHRASES + OTHER_LANGUAGES
    missed = [(text, want, _slugs(rules, text)) for text, want in cases if want not in _slugs(rules, text)]
    misfired = [(text, _slugs(rules, text)) for text in EVERYDAY + OTHER_EVERYDAY if rules.match(text)]
    caught = 1 - len(missed) / len(cases)
    misfire = len(misfired) / len(EVERYDAY + OTHER_EVERYDAY)
    print(f"\nsafety: caught {caught:.1%} of {len(cases)} urgent, misfired on {misfire:.1%} of everyday")
    assert caught >= 0.95, missed
    assert misfire <= 0.05, misfired


def test_every_crisis_message_gets_the_crisis_lines(rules):
    for text in CRISIS:
        numbers = {n for r in rules.match(text) for n in r.numbers}
        assert CRISIS_LINES <= numbers, (text, numbers)


def test_the_eval_questions_never_get_a_safety_reply(rules):
    lines = shared_path("eval", "dev-questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["q"] for line in lines if line.strip()]
    fired = [(q, _slugs(rules, q)) for q in questions if rules.match(q)]
    assert len(questions) >= 50 and fired == []


# --- how words are found -----------------------------------------------------------------------------------------


def test_conjugations_kana_and_dialect_fold_into_one_concept():
    detector = Detector([Concept("collapse", "倒れた", ("倒れた",)), Concept("pain", "苦しい", ("苦しい",))],
                        [_rule("collapse", when=(("collapse",),)), _rule("pain", when=(("pain",),))])
    for text in ("父が倒れた", "父がたおれて", "父が倒れとる", "ちちがタオレテ", "倒れちゃった"):
        assert _slugs(detector, text) == ["collapse"], text
    for text in ("胸が苦しい", "むねがくるしい", "くるしくて", "クルシイ", "苦しくなってきた"):
        assert _slugs(detector, text) == ["pain"], text
    assert detector.match("倒す") == () and detector.match("楽しい") == ()


def test_short_words_count_only_as_whole_words():
    detector = Detector([Concept("fire", "火", ("火", "かじ")), Concept("bear", "熊", ("熊",))],
                        [_rule("fire", when=(("fire",),)), _rule("bear", when=(("bear",),))])
    assert _slugs(detector, "台所から火が出た") == ["fire"] and _slugs(detector, "かじだ") == ["fire"]
    assert _slugs(detector, "くまがいる") == ["bear"]  # by its reading, as a word of its own
    for text in ("火曜日は休み", "花火大会", "家事代行", "ちかくまで行く", "熊本に住んでいる", "かじき釣り"):
        assert detector.match(text) == (), text


def test_a_reading_matches_only_from_the_start_of_a_word():
    detector = Detector([Concept("kick", "蹴られた", ("蹴られ",))], [_rule("kick", when=(("kick",),))])
    assert _slugs(detector, "けられた") == ["kick"]
    assert detector.match("車にぶつけられた") == ()  # けられ sits inside ぶつけられた


def test_a_wish_or_an_intention_is_not_folded_into_the_plain_verb():
    detector = Detector([Concept("die", "死にたい", ("死にたい",))], [_rule("die", when=(("die",),))])
    assert _slugs(detector, "しにたい") == ["die"]
    assert detector.match("死ぬほど眠い") == () and detector.match("死んだ祖父の手続き") == ()


def test_an_exact_concept_is_not_found_by_its_reading():
    loose = Detector([Concept("name", "熊手", ("熊手",))], [_rule("name", when=(("name",),))])
    exact = Detector([Concept("name", "熊手", ("熊手",), exact=True)], [_rule("name", when=(("name",),))])
    assert loose.match("くまでた") and not exact.match("くまでた") and exact.match("熊手を買う")


def test_a_verb_found_by_its_normalised_form_does_not_count_when_negated():
    detector = Detector([Concept("buried", "埋まった", ("埋まっ",))], [_rule("buried", when=(("buried",),))])
    for text in ("車が雪に埋まった", "うまってる", "埋まっとる"):
        assert _slugs(detector, text) == ["buried"], text
    for text in ("雪でうまらないようにしたい", "埋まらない", "埋まりません"):
        assert detector.match(text) == (), text


def test_a_katakana_only_message_is_read_again_in_hiragana():
    detector = Detector([Concept("chest", "胸", ("胸",)), Concept("pain", "痛い", ("痛い",))],
                        [_rule("chest", when=(("chest", "pain"),))])
    for text in ("ﾑﾈｶﾞｲﾀｲ", "ムネガイタイ タスケテ", "胸が痛い", "むねがいたい"):
        assert _slugs(detector, text) == ["chest"], text
    assert detector.match("ムネ") == ()


def test_match_and_explain_agree_though_match_keeps_one_word_per_concept(rules):
    for text, _ in URGENT_PHRASES[:80]:
        explained = rules.explain(text)
        assert explained.matched == rules.match(text), text
        assert len({(h.concept, h.word) for _, hits in explained.sentences for h in hits}) >= 1


@pytest.mark.parametrize("text", [
    # indirect wishes, not waking, farewells, one's own death, pills, methods, worthlessness, burden, last words
    "いなくなってしまいたい", "今から死ぬ", "もう疲れた。朝になっても起きたくない", "明日の朝、目が覚めないといいな",
    "みんなにありがとうって伝えといて", "私が死んだら猫のこと頼みたい", "睡眠薬ぜんぶ飲んだ", "薬いっぱいためてある",
    "首つるロープかった", "線路の前に立ってる", "風呂で手首きった", "生きてる意味ない", "生きててごめんなさい",
    "いないほうがみんな幸せ", "最後にだれかと話したかった", "なんもかんも嫌になった、もう終わりにするわ",
    "ばあちゃんが早くお迎えが来てほしいって泣いてる", "娘の部屋で死にたいって書いてあるノート見つけた",
])
def test_indirect_crisis_wordings_get_the_crisis_lines(rules, text):
    assert "crisis" in _slugs(rules, text)


@pytest.mark.parametrize("text", [
    "死ぬほど眠い", "死ぬまでに一度は行きたい温泉", "仕事終わりにしたいけど残業ある", "消えるボールペンは売ってますか",
    "消えかけの横断歩道を直してほしい", "私が死んだら年金はどうなりますか", "今までお世話になりました、来月転勤します",
    "疲れたので温泉行きたい", "眠ったままの子を車に置いて買い物はダメですよね", "特定健診の予約したい",
])
def test_crisis_look_alikes_stay_quiet(rules, text):
    assert "crisis" not in _slugs(rules, text)


@pytest.mark.parametrize("text, slug", [
    ("2さいの子がボタン電池のみこんだかも", "swallowed"),  # 2さいの is not 際の (a "what if")
    ("となりのこどもがベランダに出されて何時間も泣いてる", "child-abuse"),  # 何時間 is not 何時 (a schedule)
    ("ポータブルストーブ使ってたら子どもが吐いた", "carbon-monoxide"),  # 使って is not 使える (a service)
    ("ガス警報器鳴ってる！どうしたらいい", "gas"),  # a ringing alarm lifts 警報器 (information)
    ("病院の予約のことで、その前に主人がさっきから右手に力が入らない", "medical"),  # さっきから lifts 予約
    ("牧場の牛が逃げて国道を走り回ってる", "dangerous-animal"),
])
def test_intent_filters_do_not_hide_an_emergency(rules, text, slug):
    assert slug in _slugs(rules, text)


# --- how concepts combine -----------------------------------------------------------------------------------------


def _animal_detector() -> Detector:
    concepts = [Concept("bear", "熊", ("熊",)), Concept("presence", "いる", ("いる", "出た")),
                Concept("purchase", "買う", ("買える", "木彫り")), Concept("strong", "助けて", ("助けて",))]
    rule = _rule("bear", when=(("bear", "presence|exclaim"),), blocked_by=("purchase",), lifted_by=("strong",))
    return Detector(concepts, [rule])


def test_a_rule_needs_its_whole_combination():
    detector = _animal_detector()
    assert _slugs(detector, "熊が庭にいる") == ["bear"] and _slugs(detector, "くまでた") == []
    assert _slugs(detector, "熊！") == ["bear"]  # a sentence that ends in ！ counts as the second item
    assert detector.match("熊") == () and detector.match("庭にいる") == ()


def test_an_intent_keeps_a_question_out_unless_a_cue_lifts_it():
    detector = _animal_detector()
    assert detector.match("熊の木彫りがいる、どこで買える") == ()
    assert _slugs(detector, "熊の木彫り？いや本物の熊がいる！助けて") == ["bear"]


def test_an_emergency_in_the_middle_of_a_long_message_is_found():
    detector = _animal_detector()
    text = "木彫りを買える店を探していました。そうしたら帰り道で、熊が出た。いまも近くにいます。"
    assert _slugs(detector, text) == ["bear"]  # the purchase sentence does not hide the bear two sentences on


def test_a_bare_cry_for_help_gets_every_number_and_a_request_for_help_does_not(rules):
    for text in ("たすけて", "助けて！", "SOS"):
        (matched,) = rules.match(text)
        assert matched.slug == "emergency-contacts" and matched.numbers == ("119", "110", "#8000"), text
    assert _slugs(rules, "たすけて火事") == ["fire"]  # the specific rule answers instead
    for text in ("雪かきを助けてほしい", "子育てを助けてくれる制度"):
        assert rules.match(text) == (), text


def test_a_replacing_rule_and_an_alone_rule():
    concepts = [Concept("hit", "殴る", ("殴られ",)), Concept("partner", "夫", ("夫",)), Concept("help", "助けて", ("助けて",))]
    crime = _rule("crime", when=(("hit",),))
    dv = _rule("dv", flag=CARE, when=(("hit", "partner"),), replaces=("crime",))
    catch_all = _rule("contacts", when=(("help",),), alone=True)
    detector = Detector(concepts, [crime, dv, catch_all])
    assert _slugs(detector, "知らない人に殴られた") == ["crime"]
    assert _slugs(detector, "夫に殴られた") == ["dv"]
    assert _slugs(detector, "助けて") == ["contacts"] and _slugs(detector, "助けて、夫に殴られた") == ["dv"]


def test_the_pack_keeps_look_alikes_out_by_intent(rules):
    pairs = [("火事だ", "火事の時の避難場所はどこ"), ("熊が庭にいる", "熊の木彫りはどこで買える"), ("死にたい", "死ぬほど眠い"),
             ("DVされてる", "DV相談窓口の時間"), ("ガス臭い", "ガス料金の支払い"), ("救急車呼んで", "救急車の適正利用"),
             ("隣の家から煙が出てる", "去年隣の家から煙が出たことがある"), ("父が倒れた", "もし父が倒れたらどうすれば"),
             ("子どもが夜中に熱出した", "子どもが熱を出したとき医療費の助成はある？"), ("胸が痛い", "心臓検診の補助はある？")]
    for urgent, lookalike in pairs:
        assert rules.match(urgent), urgent
        assert rules.match(lookalike) == (), (lookalike, _slugs(rules, lookalike))


def test_every_rule_is_flagged_urgent_or_care(pack, rules):
    flags = {r.slug: r.flag for r in pack.rules}
    assert {s for s, f in flags.items() if f == CARE} == {"crisis", "domestic-violence", "child-abuse"}
    assert set(flags.values()) == {URGENT, CARE}
    (matched,) = rules.match("死にたい")
    assert (matched.slug, matched.title, matched.flag) == ("crisis", "つらい気持ちの相談先", CARE)


def test_every_nationwide_number_has_a_source_and_a_review_note(pack):
    for number in ("119", "110", "#8000", "0570-064-556", "0120-279-338", "0120-783-556", "0570-783-556", "#8008",
                   "189"):
        entry = pack.numbers[number]
        assert entry.source and entry.review_note, number
    assert "mhlw.go.jp" in pack.numbers["0570-064-556"].source and "mhlw.go.jp" in pack.numbers["#8000"].source
    assert "gender.go.jp" in pack.numbers["#8008"].source and "fdma.go.jp" in pack.numbers["119"].source
    assert "npa.go.jp" in pack.numbers["110"].source and "こども家庭庁" in pack.numbers["189"].source
    assert pack.contacts["gas"] == {"name": "", "phone": ""}  # left for staff: the plan gives no gas company


# --- the pack file ------------------------------------------------------------------------------------------------


_SMALL = """
numbers:
  - {number: "119", name: 消防, source: 総務省消防庁, review_note: 確認}
concepts:
  fire: {label: 火事, words: [火事]}
rules:
  - slug: fire
    title: 火事
    flag: urgent
    numbers: ["119"]
    reply: 119番へ
    when: [[fire]]
"""


def test_a_small_pack_file_parses():
    safety = parse(_SMALL)
    assert [r.slug for r in safety.rules] == ["fire"] and safety.detector().match("火事だ")


def test_parse_reports_each_problem_in_japanese():
    bad = """
numbers:
  - {number: "119", name: 消防, source: 総務省消防庁, review_note: 確認}
  - {number: "#80000", name: x, source: x, review_note: x}
  - {number: "110", name: 警察, review_note: 確認}
contacts:
  gas: {name: "", phone: "ガス屋", review_note: 確認}
concepts:
  fire: {label: 火事, words: [火事]}
  Bad Key: {label: x, words: [x]}
  empty: {label: 空, words: []}
  loose: {label: x, words: [x], exact: maybe}
rules:
  - slug: Fire
    title: 火事
    flag: red
    numbers: ["119", "9a1"]
    reply: 119番へ
    when: [[fire, smoke]]
    not: [nothing]
    colour: red
  - slug: ok
    title: ok
    flag: care
    numbers: ["189"]
    reply: 電話してください
    when: [[fire]]
"""
    others = _SMALL + """    replaces: [nobody]
languages:
  en:
    name: English
    title: Emergency
    call: Call
    concepts: {fire: [fire]}
    rules: {fire: [[fire, water]]}
    replies: {fire: "Call now"}
"""
    with pytest.raises(Invalid) as caught:
        parse(bad)
    text = str(caught.value)
    for expected in ("「#80000」", "numbers（110）・source: 必ず書いてください", "「ガス屋」は電話番号として使えません",
                     "概念の名前は英小文字・数字・ハイフンで書いてください", "concepts（empty）・words: 言葉を1つ以上書いてください",
                     "concepts（loose）・exact: true か false で書いてください",
                     "1番目のルール（Fire）・slug: 英小文字・数字・ハイフンで書いてください",
                     "flag: urgent（緊急）か care（要配慮）で書いてください", "「9a1」は電話番号として使えません",
                     "when 1番目: 「smoke」という概念は concepts にありません", "not: 「nothing」という概念は concepts にありません",
                     "知らない項目があります：colour", "番号「189」を numbers: に出典（source）と一緒に書いてください"):
        assert expected in text, (expected, text)
    with pytest.raises(Invalid) as caught:
        parse(others)
    text = str(caught.value)
    for expected in ("ルール（fire）・replaces: 「nobody」というルールはありません",
                     "languages（en）・call: ボタンの文に {number} を入れてください",
                     "「water」という概念はこの言語の concepts にありません",
                     "languages（en）・replies・fire: 返信の文に番号「119」を書いてください"):
        assert expected in text, (expected, text)
    with pytest.raises(Invalid, match="YAML として読み取れません"):
        parse("rules:\n  - slug: x\n   title: [\n")
    with pytest.raises(Invalid, match="rules:"):
        parse("- just a list\n")
    with pytest.raises(Invalid, match="when（概念の組）か phrases（決まった言い方）のどちらかが必要です"):
        parse(_SMALL.replace("    when: [[fire]]\n", ""))
    with pytest.raises(Invalid, match="返信の文に番号「119」を書いてください"):
        parse(_SMALL.replace("reply: 119番へ", "reply: すぐに電話"))



def test_the_concept_limit_holds_and_the_pack_is_within_it():
    # The limit guards against a runaway file: one concept over it is refused in Japanese, the shipped pack is under it.
    many = "".join(f"  extra{n}: {{label: 例{n}, words: [例{n}]}}\n" for n in range(MAX_CONCEPTS))
    with pytest.raises(Invalid, match=f"概念は{MAX_CONCEPTS}個までです"):
        parse(_SMALL.replace("concepts:\n", "concepts:\n" + many))
    parse(_SMALL.replace("concepts:\n", "concepts:\n" + "".join(many.splitlines(keepends=True)[1:])))
    assert len(yaml.safe_load(PACK_RULES.read_text(encoding="utf-8"))["concepts"]) <= MAX_CONCEPTS

@pytest.fixture
def pack_dir(tmp_path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


def test_kb_check_names_a_broken_lexicon_in_japanese(runner, pack_dir, pack):
    ok = runner.invoke(args=["kb", "check", str(pack_dir)])
    assert ok.exit_code == 0 and f"{len(pack.rules)} safety rules" in ok.output
    path = pack_dir / "safety.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("      - [bear, presence|exclaim|severity|now]", "      - [bear, presense]"),
                    encoding="utf-8")
    result = runner.invoke(args=["kb", "check", str(pack_dir)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "safety.yaml: 7番目のルール（dangerous-animal）・when 1番目: 「presense」という概念は concepts にありません" in result.output
    broken = re.sub(r"(\n  bear:\n    label: [^\n]*\n    words: )\[[^\]]*\]", r"\1熊", text)
    assert broken != text
    path.write_text(broken, encoding="utf-8")
    result = runner.invoke(args=["kb", "check", str(pack_dir)])
    assert "safety.yaml: concepts（bear）・words: 言葉の一覧（[言葉, 言葉]）で書いてください" in result.output
    path.write_text("rules:\n  - slug: fire\n    numbers: [\"119\"\n", encoding="utf-8")
    result = runner.invoke(args=["kb", "check", str(pack_dir)])
    assert result.exit_code == 1 and "safety.yaml: 4行目: YAML として読み取れません" in result.output


def test_kb_import_refuses_a_pack_with_a_broken_safety_file(loaded_app, runner, pack_dir):
    (pack_dir / "safety.yaml").write_bytes(b"rules: [\xff\xfe")
    result = runner.invoke(args=["kb", "import", str(pack_dir)])
    assert result.exit_code == 1 and "safety.yaml: -: UTF-8 のテキストではありません" in result.output


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
    assert len(first) == len(read_file(PACK_RULES).rules) >= 12 and cache.matcher() is first
    assert not first.match("密漁してる人がいる")
    text = path.read_text(encoding="utf-8").replace("    words: [泥棒, どろぼう,", "    words: [密漁, 泥棒, どろぼう,")
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a new stamp even on file systems with coarse mtimes
    second = cache.matcher()
    assert second is not first and [r.slug for r in second.match("密漁してる人がいる")] == ["crime"]
    path.write_text("rules: [", encoding="utf-8")  # a broken edit at run time keeps the last good rules
    os.utime(path, ns=(2, 2))
    assert cache.matcher() is second



def test_remembered_verdicts_follow_an_edit_to_the_rules_at_once(tmp_path):
    path = tmp_path / "safety.yaml"
    shutil.copy(PACK_RULES, path)
    cache = SafetyCache(path, memo_size=16)
    assert cache.verdict("密漁してる人がいる") == () and cache.verdict("密漁してる人がいる") == ()
    text = path.read_text(encoding="utf-8").replace("    words: [泥棒, どろぼう,", "    words: [密漁, 泥棒, どろぼう,")
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert [r.slug for r in cache.verdict("密漁してる人がいる")] == ["crime"]  # not the remembered ()
    long = "密漁してる人がいる。" + "給食費のことも聞きたいです。" * 20  # too long to remember: judged every time
    assert [r.slug for r in cache.verdict(long)] == ["crime"] == [r.slug for r in cache.matcher().match(long)]


# --- replies ------------------------------------------------------------------------------------------------------


def test_tel_uris_are_valid_and_percent_encode_the_hash():
    assert tel_uri("119") == "tel:119" and tel_uri("#8000") == "tel:%238000" and tel_uri("#8008") == "tel:%238008"
    assert tel_uri("0124-22-2111") == "tel:0124-22-2111" and tel_uri("(0124) 22-2111") == "tel:012422-2111"
    assert tel_uri("0570-064-556") == "tel:0570-064-556"
    parts = urlsplit(tel_uri("#8000"))
    assert parts.scheme == "tel" and parts.fragment == "" and unquote(parts.path) == "#8000"


def _buttons(message: dict) -> list[tuple[str, str]]:
    return [(b["action"]["label"], b["action"]["uri"]) for b in message["contents"]["footer"]["contents"]]


def test_every_reply_is_what_the_sdk_would_send_with_the_number_first(pack):
    for rule in pack.rules:
        message = replies.urgent((rule,), TOWN)
        assert Message.from_dict(message).to_dict() == message, rule.slug
        buttons = _buttons(message)
        assert all(uri.startswith(("tel:", "https://")) and "#" not in uri for _, uri in buttons), buttons
        assert all(len(label) <= 20 for label, _ in buttons)
        assert [uri for _, uri in buttons if uri.startswith("tel:")] == [tel_uri(n) for n in rule.numbers]
        body = message["contents"]["body"]["contents"][0]["text"]
        assert message["altText"].startswith(body[:50])
        first = rule.numbers[0]
        # The number first: in the first sentence, except for gas, where leaving the house comes before calling.
        assert body.index(first) < (120 if rule.slug in ("gas", "carbon-monoxide") else 60), (rule.slug, body)


def test_the_crisis_reply_is_warm_short_and_names_each_line(pack):
    crisis = next(r for r in pack.rules if r.slug == "crisis")
    message = replies.urgent((crisis,), TOWN)
    body = message["contents"]["body"]["contents"][0]["text"]
    assert body.startswith("話してくださって、ありがとうございます。") and len(body) < 250
    for line in ("こころの健康相談統一ダイヤル 0570-064-556", "よりそいホットライン 0120-279-338",
                 "いのちの電話 0120-783-556", "0570-783-556", "119番"):
        assert line in body
    assert [label for label, _ in _buttons(message)] == [
        "こころの健康相談に電話", "よりそいホットラインに電話", "いのちの電話に電話", "119に電話"]


def test_the_town_phone_is_shown_only_when_set(pack):
    bear = next(r for r in pack.rules if r.slug == "dangerous-animal")
    assert bear.town
    without = json.dumps(replies.urgent((bear,), TOWN), ensure_ascii=False)
    assert "芦別市役所にもお知らせください" in without and TOWN.website in without and "電話 " not in without
    with_phone = json.dumps(replies.urgent((bear,), Town("芦別市", "芦別市役所", "0124-22-2111", TOWN.website)),
                            ensure_ascii=False)
    assert "芦別市役所（電話 0124-22-2111）" in with_phone and "tel:0124-22-2111" in with_phone


def test_the_gas_company_appears_only_once_staff_fill_it_in():
    text = PACK_RULES.read_text(encoding="utf-8")
    empty = next(r for r in parse(text).rules if r.slug == "gas")
    assert empty.numbers == ("119",) and "ガス会社へ連絡" in empty.reply
    filled = text.replace('  gas:\n    name: ""\n    phone: ""', '  gas:\n    name: 芦別ガス（例）\n    phone: "0124-00-0000"')
    gas = next(r for r in parse(filled).rules if r.slug == "gas")
    message = replies.urgent((gas,), TOWN)
    assert _buttons(message) == [("119に電話", "tel:119"), ("芦別ガス（例）に電話", "tel:0124-00-0000")]
    assert "芦別ガス（例）：電話 0124-00-0000" in message["contents"]["body"]["contents"][0]["text"]


def test_a_reply_in_another_language_has_the_japanese_beneath(rules):
    (rule,) = rules.match("my house is on fire")
    assert rule.lang == "en" and rule.slug == "fire" and rule.flag == URGENT
    message = replies.urgent((rule,), TOWN)
    body = message["contents"]["body"]["contents"][0]["text"]
    english, japanese = body.split("\n\n", 1)
    assert english.startswith("Call 119 now") and japanese.startswith("すぐに 119番 へ電話してください")
    assert _buttons(message) == [("Call 119", "tel:119")]
    (crisis,) = rules.match("quero morrer")
    assert crisis.lang == "pt" and crisis.flag == CARE and "0120-279-338" in crisis.reply.split("\n\n")[0]


# --- explain ------------------------------------------------------------------------------------------------------


def test_explain_prints_the_concepts_and_the_verdict_in_japanese(runner):
    result = runner.invoke(args=["safety", "explain", "父が", "たおれとる"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "メッセージ：父が たおれとる" in out and "言語：日本語" in out
    assert "倒れた [collapse]" in out and "（基本形）" in out and "人・家族 [who]" in out
    assert "○ medical：組み合わせ collapse + who|severity|now" in out
    assert "結果：緊急の返信をします → 命にかかわる急病・けが（119番）【緊急】（電話ボタン：119）" in out
    result = runner.invoke(args=["safety", "explain", "熊の木彫りがいるので、どこで買えるか教えて"])
    assert "× dangerous-animal：組み合わせ bear + presence|exclaim|severity|now はあるが、" in result.output
    assert "結果：緊急ではありません。ふだんの答え（FAQ）を探します。" in result.output
    result = runner.invoke(args=["safety", "explain", "死にたい"])
    assert "【要配慮】" in result.output and "決まった言い方" in result.output
    result = runner.invoke(args=["safety", "explain", "there is a bear in my yard"])
    assert "言語：英語" in result.output and "○ dangerous-animal (en)" in result.output


def test_explain_reports_a_broken_file_and_shows_every_rule_on_request(runner, tmp_path):
    broken = tmp_path / "safety.yaml"
    broken.write_text("rules: [", encoding="utf-8")
    result = runner.invoke(args=["safety", "explain", "--file", str(broken), "火事だ"])
    assert result.exit_code == 1 and "YAML として読み取れません" in result.output and "Traceback" not in result.output
    everything = render(read_file(PACK_RULES).detector(), "こんにちは", everything=True)
    assert everything.count("× ") >= 12


# --- through the webhook ------------------------------------------------------------------------------------------


def test_an_urgent_message_is_never_matched_against_the_faq(loaded_app):
    with loaded_app.app_context(), loaded_app.test_request_context():
        text = "夜中に子どもが熱出した"
        # Without safety first, the FAQ would offer the medical-subsidy entry for this message.
        assert "child-medical-subsidy" in [c.id for c in knowledge().decide(text).candidates]
        prepared = prepare(Incoming("text", text=text))
        assert prepared.decision is None and [r.slug for r in prepared.urgent] == ["child-night-illness"]
        assert isinstance(prepared.urgent, tuple) and prepared.urgent[0].flag == URGENT


CATEGORY_MESSAGES = [
    ("となりの家から煙がでてる", "fire", ["tel:119"]),
    ("父が急に倒れて息してない", "medical", ["tel:119"]),
    ("屋根の雪下ろし中に父が落ちた", "accident", ["tel:119", "tel:110"]),
    ("ストーブつけてたら家族みんな頭痛くて吐き気する", "carbon-monoxide", ["tel:119"]),
    ("家の中がガス臭い", "gas", ["tel:119"]),
    ("知らない人が家に入ってきた", "crime", ["tel:110"]),
    ("家の裏にくまいたっけ", "dangerous-animal", ["tel:110", "https://www.city.ashibetsu.hokkaido.jp/"]),
    ("子どもが夜中に熱出した", "child-night-illness", ["tel:%238000", "tel:119"]),
    ("子供がボタン電池飲み込んだ", "swallowed", ["tel:%238000", "tel:119"]),
    ("もう死にたい", "crisis", ["tel:0570-064-556", "tel:0120-279-338", "tel:0120-783-556", "tel:119"]),
    ("夫に殴られてる", "domestic-violence", ["tel:%238008", "tel:110"]),
    ("隣の子どもが毎晩泣き叫んでて虐待かも", "child-abuse", ["tel:189"]),
]


@pytest.mark.parametrize("text,slug,uris", CATEGORY_MESSAGES, ids=[c[1] for c in CATEGORY_MESSAGES])
def test_webhook_answers_each_category_with_its_numbers(loaded_app, webhook, fake_line, text, slug, uris):
    assert webhook([events.text(text)]).status_code == 200
    (message,) = fake_line.calls(REPLY)[0].body["messages"]
    assert Message.from_dict(message).to_dict() == message
    assert [uri for _, uri in _buttons(message)] == uris
    flat = json.dumps(message, ensure_ascii=False)
    assert "出典：" not in flat and "👍" not in flat  # no FAQ bubble, no feedback buttons
    with loaded_app.app_context():
        row = db.session.scalar(select(QuestionLog))
        assert row.outcome == "safety" and row.entry_slug is None


def test_webhook_answers_an_urgent_message_with_119_first_and_no_faq_bubble(loaded_app, webhook, fake_line):
    response = webhook([events.text("救急車よんで 電話は090-1234-5678")])
    assert response.status_code == 200
    messages = fake_line.calls(REPLY)[0].body["messages"]
    assert len(messages) == 1
    message = messages[0]
    assert message["altText"].startswith("すぐに 119番 へ電話してください")
    with loaded_app.app_context():
        row = db.session.scalar(select(QuestionLog))
        assert row.outcome == "safety" and row.entry_slug is None
        assert "090-1234-5678" not in row.text  # masked as every question is
        listed, _held = open_questions()
        assert row.text not in [r.text for r in listed]  # not an unanswered question for the inbox


@pytest.mark.parametrize("text,first_line,uri", [
    ("there is a bear in my yard", "Call 110 now.", "tel:110"),
    ("着火了！", "请立即拨打 119", "tel:119"),
    ("구급차", "지금 바로 119에 전화해", "tel:119"),
    ("Có gấu", "Hãy gọi ngay 110.", "tel:110"),
    ("Socorro", "Incêndio ou ambulância: 119.", "tel:119"),
])
def test_webhook_answers_other_languages_in_that_language_with_the_japanese_beneath(loaded_app, webhook, fake_line,
                                                                                    text, first_line, uri):
    webhook([events.text(text)])
    (message,) = fake_line.calls(REPLY)[0].body["messages"]
    body = message["contents"]["body"]["contents"][0]["text"]
    assert body.startswith(first_line), body
    assert re.search(r"\n\n.*番", body, re.S)  # the Japanese reply beneath
    assert uri in [u for _, u in _buttons(message)]


@pytest.mark.parametrize("text", ["熊の木彫りはどこで買える", "fire department open hours", "DV相談窓口の時間", "死ぬほど眠い"])
def test_webhook_gives_look_alikes_their_normal_answer(loaded_app, webhook, fake_line, text):
    webhook([events.text(text)])
    flat = json.dumps(fake_line.calls(REPLY)[0].body["messages"], ensure_ascii=False)
    assert "tel:" not in flat
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog)).outcome != "safety"


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


def _count_judgements(monkeypatch) -> list[str]:
    judged: list[str] = []
    run = Detector._run

    def counting(self, message, explain):
        judged.append(message)
        return run(self, message, explain)

    monkeypatch.setattr(Detector, "_run", counting)
    return judged


def test_a_storm_of_the_same_question_is_judged_by_the_safety_rules_once(loaded_app, webhook, fake_line, monkeypatch):
    """The webhook's hot path: each judgement is a Sudachi pass (~0.2 ms), the most a cached answer costs."""
    judged = _count_judgements(monkeypatch)
    for n in range(3):
        webhook([events.text("給食費ってタダになるの？", user=f"U{n:032x}")])
    for n in range(2):
        webhook([events.text("火事だ", user=f"U{n:032x}")])
    assert judged == ["給食費ってタダになるの？", "火事だ"]
    bodies = [json.dumps(call.body, ensure_ascii=False) for call in fake_line.calls(REPLY)]
    assert len(bodies) == 5 and all("tel:119" not in b for b in bodies[:3]) and all("tel:119" in b for b in bodies[3:])


def test_without_the_caches_every_message_is_judged_again(loaded_app, webhook, fake_line, monkeypatch):
    loaded_app.config["DECISION_CACHE_SIZE"] = 0  # the benchmark's --no-cache: the worst case stays the worst
    judged = _count_judgements(monkeypatch)
    for n in range(2):
        webhook([events.text("火事だ", user=f"U{n:032x}")])
    assert judged == ["火事だ", "火事だ"]
    assert all("tel:119" in json.dumps(call.body, ensure_ascii=False) for call in fake_line.calls(REPLY))


def test_the_app_looks_at_the_rules_file_at_most_once_a_second(tmp_path, monkeypatch):
    # os.stat releases the GIL, which under gunicorn's threads can cost a whole switch interval per message; so the
    # app's cache looks at the file's stamp once per CHECK_SECONDS, and an edit shows after that.
    import bot.safety as safety

    clock = [100.0]
    monkeypatch.setattr(safety.time, "monotonic", lambda: clock[0])
    path = tmp_path / "safety.yaml"
    shutil.copy(PACK_RULES, path)
    cache = SafetyCache(path, check_seconds=safety.CHECK_SECONDS)
    first = cache.matcher()
    assert len(first) >= 12
    stats = []
    real_stat = os.stat
    monkeypatch.setattr(safety.os, "stat", lambda p, *a, **k: stats.append(p) or real_stat(p, *a, **k))
    text = path.read_text(encoding="utf-8").replace("    words: [泥棒, どろぼう,", "    words: [密漁, 泥棒, どろぼう,")
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(1, 1))
    clock[0] += safety.CHECK_SECONDS / 2
    assert cache.matcher() is first and stats == []  # within the second: the stamp is not looked at
    clock[0] += safety.CHECK_SECONDS
    second = cache.matcher()
    # One look at each file a second: the rules, and the learned model beside them (safety-model.yaml).
    assert sorted(Path(p).name for p in stats) == ["safety-model.yaml", "safety.yaml"] and second is not first and [r.slug for r in second.match("密漁してる人がいる")] == ["crime"]


def test_the_first_rules_are_never_skipped_by_the_check_interval(tmp_path):
    # Until the first rules are in place every call looks at the file: a thread that arrives while another is
    # compiling waits for the rules instead of judging a message with none.
    path = tmp_path / "safety.yaml"
    shutil.copy(PACK_RULES, path)
    cache = SafetyCache(path, check_seconds=3600)
    cache._next_check = float("inf")  # as if another thread had just started the first compile
    assert [r.slug for r in cache.matcher().match("家が火事です")] == ["fire"]
