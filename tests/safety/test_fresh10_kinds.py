"""The kinds of phrasing the fresh10 set (by an independent author) showed were missing, each covered as a kind.

Each message here is written for this test, not copied from a phrasing set: a grandparent saying living is no use
(しょうがない), a goodbye after "this is the last time" (じゃあな), brooding over falling from a high place, an engine
warmed up in a garage with a headache, a CO alarm ringing written in kana (なってる), a child put outside barefoot in
the cold, a child kept from school, a child's stomach ache at night, the same person standing at the door night
after night or ringing the bell again and again, a husband keeping money and going out from his wife, a threat made
when divorce is raised, smoke that traps people, a field fire spreading written in kana, a scald that takes off the
skin, stroke signs in dialect (力はいんない, 言葉が出てこない, 口がゆがんで), blood in vomit and black stools, a child
who emptied a blister pack, a bear that is still there by the school route, and English, Chinese and Portuguese.
The look-alikes next to them (the developer's own probes) keep their normal answer: いきたい is 行きたい, not 逝きたい;
死にそう after snow clearing is a figure of speech; 家事 is housework unless it is a short cry; a fall from a roof
with an insurance question is not a crisis. Both go through a signed webhook to the fake LINE API.
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
    # crisis: living is no use (しょうがない), a goodbye after "the last time", brooding over a fall from a height
    ("ばあちゃん、生きとってもしょうがないって毎日言ってる", CRISIS_LINE),
    ("これで最後にするわ　じゃあな", CRISIS_LINE),
    ("高いとこから落ちることばっかり考えてしまう", CRISIS_LINE),
    # carbon monoxide: an engine warmed up in a garage, an alarm ringing written in kana
    ("車庫でエンジンの暖機してたら頭がいたくなってきた", "tel:119"),
    ("一酸化炭素の警報機がなってる", "tel:119"),
    # child abuse: put outside barefoot in the cold, kept from school
    ("となりの子が雪の中はだしで外に出されてる", "tel:189"),
    ("向かいの家の小学生、学校に行かせてもらえてないみたい", "tel:189"),
    # a child's stomach ache at night
    ("娘がおなかいたいって泣いてる、夜中の2時", "tel:%238000"),
    # crime: the same man standing at the door every night, a stranger ringing again and again
    ("毎晩うちの前に同じ男が立ってる", "tel:110"),
    ("知らない人がチャイムを何回も鳴らしてくる", "tel:110"),
    # violence at home: money and going out kept from her; a threat when divorce is raised
    ("夫がお金くれなくて外出もさせてもらえない", "tel:%238008"),
    ("離婚したいって言ったら殺してやるって言われた", "tel:%238008"),
    # fire: smoke that traps people, a field fire spreading written in kana
    ("マンションの階段が煙でいっぱいで逃げられない", "tel:119"),
    ("たき火の火が草にひろがってとまらない", "tel:119"),
    # illness: a scald that takes the skin off, stroke signs in dialect, blood in vomit, black stools
    ("ポットのお湯をかぶって水ぶくれができてる", "tel:119"),
    ("父が急に左手に力はいんなくなった", "tel:119"),
    ("母が言葉が出てこなくて箸を落とした", "tel:119"),
    ("夫の口がゆがんでて何言ってるかわからない", "tel:119"),
    ("黒いうんちが出て、めまいがする", "tel:119"),
    ("吐いたら血がまじってた", "tel:119"),
    # a child who emptied a blister pack
    ("2歳の息子がいつの間にか薬のシートを空にしてた", "tel:%238000"),
    # a bear still there by the school route: 登校 (a service word) does not keep it out
    ("畑にクマがいる、まだそこにいて子どもが登校する時間", "tel:110"),
    # other languages
    ("a man is trying to break into our house", "tel:110"),
    ("后院有熊！", "tel:110"),
    ("meu marido está com dor forte no peito", "tel:119"),
]


@pytest.mark.parametrize("text,uri", URGENT, ids=[u[0][:12] for u in URGENT])
def test_webhook_answers_each_fresh10_kind_with_its_number(loaded_app, webhook, fake_line, text, uri):
    assert webhook([events.text(text)]).status_code == 200
    assert uri in _uris(fake_line), text
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog)).outcome == "safety"


LOOK_ALIKES = [
    "屋根から落ちたときの保険って使える？もう治ったけど",  # an insurance question, not a crisis
    "今日はつかれたから温泉いきたいな",  # いきたい is 行きたい
    "雪かきで毎日死にそう、除雪車はいつ来るの",  # a figure of speech
    "家事ぜんぶやってる私えらい",  # housework
    "車の暖機運転って何分くらい必要？",  # no symptom
    "子どもが裸足で外に出たがる、寒くないのかな",  # nobody puts the child out
    "インフルの子を学校に行かせていいのはいつから",  # a question about school after flu
    "同じ人が毎日家の前を散歩してる",  # nobody standing or ringing
    "離婚の手続きはどこでできますか",  # a procedure
    "日焼けで背中の皮がむけてきた",  # sunburn, no scald
    "黒いうんちが出るのは鉄剤のせい？",  # a question about a medicine's effect
    "how do i break into the tech industry",  # a career
    "これで最後にするね、また明日",  # a chore finished for the day
    # found while fixing: an empty medicine bag that is a refill, a child's medicine finished, waiting to be
    # picked up, a delivery that rang, おなか「かいたい」 is not 買いたい
    "薬の袋がからっぽになったので、もう一回もらいに行きたい",
    "子どもの薬がからになったので薬局行きたい",
    "家の前で待ってるから迎えに来て",
    "同じ人から何回もチャイム鳴らされたけど宅配だった",
    "雪かきで死ぬかと思ったわ",
    "いつの間にか熊の出る季節、対策は？",  # いつの間にか lifts only the swallowing rule
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_webhook_gives_the_fresh10_look_alikes_their_normal_answer(loaded_app, webhook, fake_line, text):
    webhook([events.text(text)])
    assert not [u for u in _uris(fake_line) if u.startswith("tel:")], text
    with loaded_app.app_context():
        assert db.session.scalar(select(QuestionLog)).outcome != "safety"
