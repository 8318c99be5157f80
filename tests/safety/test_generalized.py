"""The kinds of phrasing the fresh8 blind set (and the developer's own probes) showed were missing, each covered
as a kind (not as that message).

Each message here is written for this test, not copied from a phrasing set: a child who gives a school grade
(中2, 高1), the signs of neglect seen in a neighbour's child, an infant by its age in months, a fire spreading
from burning rubbish or grass, the smell of gas at a stove or water heater, a bereaved person's wish to follow,
an emergency told after a preface in the past (…してたんだけど), and short English, Portuguese and Tagalog ones.
The look-alikes next to them must keep their normal answer. Both go through a signed webhook to the fake LINE API.
"""
from __future__ import annotations

import glob

import pytest
import yaml

from bot.safety.rules import read_file
from tests.conftest import ROOT
from tests.safety.webhook_support import ask_each

CRISIS_LINES = ("tel:0570-064-556", "tel:0120-279-338", "tel:0120-783-556")


@pytest.fixture(scope="module")
def rules():
    return read_file(ROOT / "knowledge" / "safety.yaml").detector()


URGENT = [
    # a child writes, giving a school grade, about a parent's violence or a home they cannot stay in
    ("高2です　父に毎日なぐられる", "tel:189"),
    ("毎日お父さんにけられる　小6", "tel:189"),
    # a parent's violence at home (a child who sees one parent hit the other is abused too): 189 with #8008
    ("父がまた母を殴ってる", "tel:189"),
    # the signs of neglect in someone else's child
    ("向かいの家の子、毎日同じ服で夜遅くまで外にいる", "tel:189"),
    # an infant by its age in months, with a fever written as 38℃
    ("生後3ヶ月の赤ちゃん、夜になって38℃ある", "tel:%238000"),
    # a fire that spreads from burning grass or rubbish
    ("ゴミ燃やしてたら畑の枯れ草にうつって広がってる", "tel:119"),
    # the smell of gas described at a stove or water heater, without the word ガス
    ("給湯器のまわりから変なにおいがする、玉ねぎが腐ったみたいな", "tel:119"),
    # a bereaved person's wish to follow
    ("妻に先立たれてから、早くそっちに行きたいとばかり思う", CRISIS_LINES[0]),
    # an emergency told after a preface in the past: the preface's 祭り (an event) does not hide it
    ("祭りの片付けをしてたんだけど帰りに見たら隣の家から黒い煙がもくもく出てる", "tel:119"),
    # a dog that bites people, someone following, a CO alarm written in kana
    ("近所の犬が鎖ちぎって人にかみついてる", "tel:110"),
    ("帰り道に変な人が後ろを歩いてくる", "tel:110"),
    ("けいほうき鳴ってて頭がぼーっとする　一酸化炭素かも", "tel:119"),
    # a hornet sting, a boar charging, an old person gone limp, a thing that caught fire, a burn inflicted by a parent
    ("孫が庭でスズメバチに刺された", "tel:119"),
    ("イノシシがこっちに向かってきた", "tel:110"),
    ("お風呂でばあちゃんがぐったりしてる", "tel:119"),
    ("カーテンが燃えた", "tel:119"),
    ("継母にアイロンを押し付けられた", "tel:189"),
    ("my neighbor is not answering", "tel:119"),
    # short messages in other languages
    ("Help", "tel:119"),
    ("Meu filho está com febre alta", "tel:%238000"),
    ("May oso sa labas ng bahay", "tel:110"),
]


def test_webhook_answers_each_new_kind_with_its_number(loaded_app, webhook, fake_line):
    answers = ask_each(loaded_app, webhook, fake_line, [text for text, _ in URGENT])
    missed = [(text, uri) for (text, uri), (uris, outcome) in zip(URGENT, answers)
              if uri not in uris or outcome != "safety"]
    assert not missed, missed


LOOK_ALIKES = [
    "熊に会ったときの逃げ方を子どもに教えたい",  # teaching what to do (a course), not a bear now
    "練炭でバーベキューしたいんだけど河川敷でいい？",  # cooking with charcoal, not a method
    "火災報知器の電池が切れてピーピーいってる、交換はどうするの",  # a low battery chirps, it does not ring
    "薬を飲み忘れたらどうすればいい",  # forgetting a dose is a "what if"
    "子どもが薬をまだ飲んでない",  # 飲んでない: not swallowed
    "熱が下がったので明日から保育園に行けますか",  # better now: a question about nursery
    "救命講習を受けたいんですけど、胸が痛い人がいたらどうすればいい",  # one question about a course
    "蜂に刺されたらどうすればいい",  # a "what if"
    "スズメバチの巣の駆除をお願いしたい",  # a nest, nobody stung
    "仕事を押し付けられて疲れた",  # work dumped on someone, not a burn
    "車が燃えたら保険はおりる？",  # insurance for a "what if"
]


def test_webhook_gives_the_new_look_alikes_their_normal_answer(loaded_app, webhook, fake_line):
    answers = ask_each(loaded_app, webhook, fake_line, LOOK_ALIKES)
    misfired = [text for text, (uris, outcome) in zip(LOOK_ALIKES, answers)
                if any(u.startswith("tel:") for u in uris) or outcome == "safety"]
    assert not misfired, misfired


def test_match_decides_as_explain_does_on_every_phrasing(rules):
    """match() skips the reasons explain() writes; both must reach the same rules (held-out files are not read)."""
    texts = []
    for path in sorted(glob.glob(str(ROOT / "tests" / "safety" / "phrasings" / "*.yaml"))):
        if path.endswith(".held.yaml"):
            continue
        for item in yaml.safe_load(open(path, encoding="utf-8"))["phrasings"]:
            texts.append(item["text"] if isinstance(item, dict) else str(item))
    assert len(texts) > 1500
    assert [t for t in texts if rules.match(t) != rules.explain(t).matched] == []
