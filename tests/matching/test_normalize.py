"""Unit tests for Japanese normalisation and tokenisation in bot.matching."""
from bot.matching.normalize import MAX_QUERY_CHARS, clean_query, fold, kana_share, nfkc, to_hiragana
from bot.matching.tokenize import analyze, char_ngrams


def test_nfkc_folds_full_and_half_width():
    assert nfkc("ＬＥＤ化") == "led化"
    assert nfkc("ｺﾝﾋﾞﾆ") == "コンビニ"
    assert nfkc("１２３") == "123"


def test_fold_makes_katakana_and_hiragana_meet():
    assert fold("コンビニ") == fold("こんびに") == fold("ｺﾝﾋﾞﾆ")
    assert to_hiragana("キュウショクヒ") == "きゅうしょくひ"
    # The long-vowel mark belongs to both scripts and must survive.
    assert fold("サイネージ") == "さいねーじ"


def test_fold_drops_punctuation_and_spaces():
    assert fold("給食費って、タダ？！") == "給食費ってただ"


def test_boilerplate_is_stripped_from_polite_questions():
    assert fold(clean_query("マイナンバーカードについて教えてください。")) == "まいなんばーかーど"
    assert clean_query("コンビニ交付を知りたいです") == "コンビニ交付"
    assert "どうすれば" not in clean_query("応援団に登録するにはどうすればいいですか？")
    assert clean_query("学校給食費は無料ですか") == "学校給食費は無料"


def test_boilerplate_inside_words_is_kept():
    # って and です only go at the end of a sentence; 持って is a verb.
    assert "持って" in clean_query("何を持っていけばいいですか")


def test_query_that_is_only_boilerplate_is_not_emptied():
    assert clean_query("教えてください") != ""


def test_huge_query_is_truncated():
    assert len(clean_query("給" * 6000)) <= MAX_QUERY_CHARS


def test_kana_share():
    assert kana_share("きゅうしょくだい") == 1.0
    assert kana_share("給食費") == 0.0
    assert 0.0 < kana_share("子どもの医療費") < 1.0


def test_sudachi_folds_kanji_and_kana_variants():
    forms = {analyze(t).words[0] for t in ("子ども", "こども", "子供")}
    assert len(forms) == 1
    assert "生まれる" in analyze("産まれたら何かもらえる？").words


def test_particles_and_boilerplate_words_are_dropped():
    a = analyze("子供の医療費を教えてください")
    assert "の" not in a.words and "を" not in a.words
    assert "教える" not in a.words
    assert "医療費" in a.words


def test_split_modes_a_and_c_together():
    a = analyze("選挙管理委員会")
    assert "選挙管理委員会" in a.words
    assert {"選挙", "管理"} <= set(a.parts)


def test_reading_of_kanji_matches_hiragana_query():
    assert analyze("コンビニ交付").reading == "こんびにこうふ"
    assert analyze("給食代").reading == "きゅうしょくだい"


def test_katakana_words_are_folded_to_hiragana_terms():
    assert analyze("ｺﾝﾋﾞﾆ").words == analyze("こんびに").words or "こんびに" in analyze("ｺﾝﾋﾞﾆ").words


def test_char_ngrams():
    assert char_ngrams("きゅうしょく") == ["きゅ", "ゅう", "うし", "しょ", "ょく"]
    assert char_ngrams("a") == ["a"]
    assert char_ngrams("") == []
