"""The kinds of phrasing the fresh9 set (by an independent author) showed were missing, each covered as a kind.

Each message here is written for this test, not copied from a phrasing set: a phone call's もしもし (not もしも,
"if"), asking whom to tell about a child, a child seen at the nursery, children left alone for days, many bruises,
an adult entering a child's room at night against her will, a rash at night, snatching and breaking windows, a
caller whose voice is wrong asking for money, control with fear, violence that happens "whenever" (not the past),
注意 read inside にんしんちゅう いたい, a field fire spreading in the wind, gas left on, confusion and sweating,
poisonous plants, going out to fetch the paper and seeing a bear, bullying beside a wish to jump, and English,
Tagalog, Chinese and Vietnamese ones. The look-alikes next to them (the developer's own probes) keep their normal
answer. Both go through a signed webhook to the fake LINE API.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import QuestionLog
from tests.support import events

REPLY = "/v2/bot/message/reply"
CRISIS_LINE = "tel:0570-064-556"


def _uris(fake_line) -> list[str]:
    flat = json.dumps(fake_line.calls(REPLY)[0].body["messages"], ensure_ascii=False)
    return [part.split('"')[0] for part in flat.split('"uri": "')[1:]]


URGENT = [
    # もしもし opens a phone call (voice input): it is not もしも ("if")
    ("もしもし、父が倒れて動かない", "tel:119"),
    # asking whom to tell about a child shut out, though the message begins as a question to the town office
    ("役場に聞きたいんだけど、近所の子がいつも夜ベランダに出されてる、どこに言えばいい", "tel:189"),
    # seen at the nursery: 保育 (a service word) does not keep a child's burn marks out
    ("保育園で見た子の腕に火傷の跡がいくつもある", "tel:189"),
    # children left alone for days, many bruises, a parent entering a child's room at night against her will
    ("隣の親が何日も帰ってこなくて小さい子が泣いてる", "tel:189"),
    ("姪っ子の背中にあざがたくさん、母親の彼氏がやってるみたい", "tel:189"),
    ("継父が夜中に妹の部屋に入ってきて妹がいやがってる", "tel:189"),
    # a rash at night is a child's illness (出てきた is not the threat 出てこい)
    ("夜中に息子の体じゅうにじんましんが出てきた", "tel:%238000"),
    # snatching, breaking windows, a caller with the wrong voice asking for money
    ("自転車のかごからバッグをひったくられた", "tel:110"),
    ("隣の家のガラスを割ってる人がいる", "tel:110"),
    ("孫から電話で事故のお金がすぐ必要って、でも声が違う", "tel:110"),
    # violence at home: control with fear; "whenever" (ことあると) is not the past; 注意 is not in …ちゅう いたい
    ("財布を取られて家から逃げたい", "tel:%238008"),
    ("夫は気に入らないことあると私を殴るんです、どこに相談すればいい", "tel:%238008"),
    ("彼氏にけられた　ねんざちゅう　いたい", "tel:%238008"),
    # a field fire spreading in the wind, gas left on with a symptom, confusion with sweating, a poisonous plant
    ("野焼きの火が風で広がって止まらない", "tel:119"),
    ("ストーブのガス出しっぱなしで気持ち悪い", "tel:119"),
    ("祖母が汗びっしょりで話がおかしい", "tel:119"),
    ("庭のスイセンをニラと間違えて食べて吐き気がする", "tel:%238000"),
    # went out to fetch something and saw a bear: a story of now, not "if"
    ("郵便をとりに出たらクマが畑を歩いてる", "tel:110"),
    # bullying beside a wish to jump: 教室 (a classroom) is not a course here
    ("クラスで無視されてる　教室の窓から飛び降りたい", CRISIS_LINE),
    # other languages
    ("i don't see the point of living", CRISIS_LINE),
    ("I just want it all to stop", CRISIS_LINE),
    ("my neighbor's kid flinches whenever his dad moves", "tel:189"),
    ("my child has a high fever, is any clinic open now", "tel:%238000"),
    ("may magnanakaw sa labas", "tel:110"),
    ("有人进我家了", "tel:110"),
    ("chồng đánh tôi", "tel:%238008"),
    ("có người lạ vào nhà tôi", "tel:110"),
]


@pytest.mark.parametrize("text,uri", URGENT, ids=[u[0][:12] for u in URGENT])
def test_webhook_answers_each_fresh9_kind_with_its_number(loaded_app, webhook, fake_line, text, uri):
    assert webhook([events.text(text)]).status_code == 200
    assert uri in _uris(fake_line), text
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog)).outcome == "safety"


LOOK_ALIKES = [
    "もしもの時の連絡先を知りたい",  # a "what if"
    "外に出たら熊に会うのが心配、鈴はどこで買える",  # going out is not "went out and saw"
    "子どもだけで留守番させても大丈夫？",  # a question about leaving children at home
    "声が違うって言われたのでお金をかけてボイトレしたい",  # no call, no fraud
    "kid has bruises from soccer, which clinic",  # bruises from sport
    "i am tired of everything at work, need a vacation",  # tired of work
    "警察官になるには何を勉強すればいい",  # a career
    "毒キノコの見分け方を知りたい",  # information
    "腕をつかまれたら振りほどく護身術の講座",  # a course
    "窓を割ってしまったので修理業者を探してる",  # a repair
    "父の日のプレゼントを娘が嫌がってる",  # no night, no room
    "夜中に子どもの湿疹がかゆそう、何科に行けば",  # which clinic
    "my baby has a fever, what time does the clinic open tomorrow",  # opening hours
    "最後にこの書類を出して終わりにする",  # a chore
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_webhook_gives_the_fresh9_look_alikes_their_normal_answer(loaded_app, webhook, fake_line, text):
    webhook([events.text(text)])
    assert not [u for u in _uris(fake_line) if u.startswith("tel:")], text
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog)).outcome != "safety"
