"""Matcher tests on a small hand-made FAQ (not the shared evaluation data)."""
import time

import pytest

from bot.matching import Candidate, Document, Matcher, Thresholds
from bot.matching.bm25 import BM25F, Field
from bot.matching.synonyms import SynonymTable

DOCS = [
    Document(
        id="lunch",
        title="学校給食費の無償化",
        questions=("給食費は無料ですか", "給食代を払う必要はありますか", "中学校の給食費"),
        keywords=("給食費", "無償化"),
        answer="小中学校の給食費を無償化しています。",
        category="子育て",
    ),
    Document(
        id="child-medical",
        title="子どもの医療費助成",
        questions=("子供の医療費は無料になりますか", "こどもの病院代の助成"),
        keywords=("医療費", "乳幼児"),
        answer="中学生までの子どもの医療費を助成します。",
    ),
    Document(
        id="konbini",
        title="住民票のコンビニ交付",
        questions=("コンビニで住民票を取れますか", "証明書をコンビニで発行したい"),
        keywords=("コンビニ交付", "住民票", "印鑑登録証明書"),
        answer="マイナンバーカードがあれば全国のコンビニで住民票の写しなどを取得できます。",
    ),
    Document(
        id="led",
        title="公共施設のLED化",
        questions=("市の施設の照明をLEDにしていますか", "LED照明への切り替え"),
        keywords=("LED", "照明"),
        answer="公共施設の照明を順次LEDに切り替えています。",
    ),
    Document(
        id="supporters",
        title="星の降る里あしべつ応援団",
        questions=("応援団に登録したい", "市外に住んでいても応援団に入れますか"),
        keywords=("応援団", "登録"),
        answer="市外にお住まいで芦別を応援したい方が登録できます。電子申請で登録できます。",
    ),
    Document(
        id="gifts",
        title="出産・子育て応援ギフト",
        questions=("子どもが生まれたら何かもらえますか", "出産応援ギフトの申請"),
        keywords=("出産", "ギフト", "赤ちゃん"),
        answer="妊娠届出時と出生届出後に応援ギフトを支給します。",
    ),
]
DOCS.append(
    Document(
        id="facility",
        title="公共施設の予約",
        questions=("体育館を予約したい", "公民館をネットで予約できますか"),
        keywords=("予約", "体育館", "公民館"),
        answer="公共施設の予約はオンラインでできます。",
    )
)
SYNONYMS = {"無料": ["タダ", "無償", "ただ"], "乳児": ["赤ちゃん", "赤ん坊"]}


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.build(DOCS, SYNONYMS)


def top_id(m: Matcher, q: str) -> str | None:
    ranked = m.rank(q, 3)
    return ranked[0].id if ranked else None


@pytest.mark.parametrize(
    "query, expected",
    [
        ("子ども医療費", "child-medical"),
        ("こども医療費", "child-medical"),
        ("子供の医療費", "child-medical"),
        ("ＬＥＤ化", "led"),
        ("led照明", "led"),
        ("ｺﾝﾋﾞﾆで住民票", "konbini"),
        ("こんびにこうふ", "konbini"),
        ("きゅうしょくひ", "lunch"),
        ("おうえんだん とうろく", "supporters"),
        ("子供が産まれたら何かもらえる？", "gifts"),
        ("給食費ってタダ？", "lunch"),
    ],
)
def test_variants_find_the_right_entry(matcher, query, expected):
    assert top_id(matcher, query) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        ("きゅしょくひ", "lunch"),  # dropped ゅう
        ("コンビ二で住民票", "konbini"),  # kanji 二 instead of katakana ニ
        ("応援段に登録", "supporters"),  # wrong kanji
    ],
)
def test_typos_still_find_the_entry(matcher, query, expected):
    assert top_id(matcher, query) == expected


def test_long_polite_question(matcher):
    q = ("お世話になっております。来年から子どもが中学校に上がるのですが、"
         "学校の給食費は払わなくてもよいのでしょうか。お手数ですが教えていただけますと幸いです。")
    assert top_id(matcher, q) == "lunch"


def test_boilerplate_does_not_change_the_answer(matcher):
    plain = matcher.rank("コンビニ交付", 1)[0]
    wrapped = matcher.rank("コンビニ交付について教えてください", 1)[0]
    assert plain.id == wrapped.id == "konbini"
    assert abs(plain.score - wrapped.score) < 0.05


def test_synonym_from_table_is_used():
    # Without word vectors: with them プレゼント already finds ギフト (see test_matching_semantic).
    without = Matcher.build(DOCS, vectors=None)
    with_syn = Matcher.build(DOCS, {"乳児": ["赤ちゃん"], "ギフト": ["プレゼント"]}, vectors=None)
    q = "プレゼント"
    assert top_id(without, q) != "gifts"
    assert top_id(with_syn, q) == "gifts"


def test_synonym_groups_merge_and_ignore_kana_inside_words():
    table = SynonymTable({"無料": ["タダ"], "無償": ["無料"]})
    assert len(table) == 1
    # ただし (however) contains ただ but is not the word ただ.
    assert table.groups_in("ただし書き", {"但し書き"}) == []


def test_scores_are_calibrated_and_sorted(matcher):
    ranked = matcher.rank("給食費は無料ですか", 10)
    assert ranked and all(isinstance(c, Candidate) for c in ranked)
    assert all(0.0 <= c.score <= 1.0 for c in ranked)
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
    assert ranked[0].reasons


def test_rank_respects_k(matcher):
    assert len(matcher.rank("給食", 2)) <= 2
    assert matcher.rank("給食", 0) == []


def test_len(matcher):
    assert len(matcher) == len(DOCS)


@pytest.mark.parametrize("query", ["", "   ", "\u3000\n", "？！。"])
def test_empty_query_falls_back(matcher, query):
    d = matcher.decide(query)
    assert d.outcome == "fallback"
    assert d.top is None


def test_empty_pack_falls_back():
    m = Matcher.build([])
    assert len(m) == 0
    assert m.rank("給食費") == []
    assert m.decide("給食費").outcome == "fallback"


def test_huge_query_is_fast_and_safe(matcher):
    q = "給食費について教えてください。" * 400  # 6000 characters
    start = time.perf_counter()
    d = matcher.decide(q)
    assert time.perf_counter() - start < 2.0
    assert d.outcome in ("answer", "suggest", "fallback")


def test_clear_question_is_answered(matcher):
    d = matcher.decide("住民票をコンビニで取りたい")
    assert d.outcome == "answer"
    assert d.top is not None and d.top.id == "konbini"


def test_unrelated_question_falls_back(matcher):
    for q in ("明日の天気は？", "燃えるゴミの日", "qwerty"):
        assert matcher.decide(q).outcome == "fallback", q


def test_vague_question_suggests_not_answers(matcher):
    # 公共施設 is the whole topic of neither entry but fits both: the bot should ask, not guess.
    d = matcher.decide("公共施設")
    assert d.outcome == "suggest"
    assert {"led", "facility"} <= {c.id for c in d.candidates}


def test_thresholds_can_be_passed_in():
    strict = Matcher.build(DOCS, SYNONYMS, Thresholds(answer=1.01, suggest=0.0, margin=0.0))
    d = strict.decide("住民票をコンビニで取りたい")
    assert d.outcome == "suggest"
    assert 1 <= len(d.candidates) <= 3
    assert d.top is not None and d.top.id == "konbini"


def test_bm25f_prefers_title_over_answer():
    index = BM25F(
        [Field("title", 3.0), Field("answer", 0.5)],
        [{"title": ["給食"], "answer": []}, {"title": [], "answer": ["給食"]}],
    )
    scores = index.score(["給食"])
    assert scores[0] > scores[1] > 0
    assert index.coverage({"給食": 1.0, "雨": 1.0}, 0) == pytest.approx(
        index.term_idf("給食") / (index.term_idf("給食") + index.max_idf)
    )


@pytest.mark.parametrize("base", ["給食費ってタダになるの", "コンビニで住民票", "おうえんだん とうろく", "ゼロカーボン"])
def test_queries_with_one_key_get_one_decision(matcher, base):
    """The decision cache shares one entry between these wordings, so they must decide alike."""
    wordings = [base, base + "について教えてください", base + "ですか", base + "？", base + "?",
                base.replace("コンビニ", "ｺﾝﾋﾞﾆ"), "  " + base + "  "]
    keys = {w: Matcher.key(w) for w in wordings}
    groups: dict[str, list[str]] = {}
    for wording, key in keys.items():
        groups.setdefault(key, []).append(wording)
    assert len(groups) < len(wordings), "no two wordings share a key: the test proves nothing"
    for same in groups.values():
        decisions = {matcher.decide(w) for w in same}
        assert len(decisions) == 1, same
