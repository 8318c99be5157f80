"""Recognise whole-message commands and small talk, after the matcher's own normalisation."""
from __future__ import annotations

import re
import threading
from functools import lru_cache

from bot.matching.normalize import fold, nfkc, strip_boilerplate
from bot.matching.tokenize import analyze

NOTICE_COMMANDS = ("stop", "settings")  # answered by bot.notices.resident
HELP, MENU = "help", "menu"
GREETINGS = ("morning", "hello", "evening", "intro", "regards")
PARTINGS = ("farewell", "night")

# Written once in their usual spelling: width, kana, punctuation, long vowels and polite endings are
# folded away below, and phrases with kanji also match their reading (「はいしんていし」 is 配信停止).
_PHRASES: dict[str, tuple[str, ...]] = {
    "stop": ("配信停止", "通知停止", "お知らせ停止", "配信を停止", "配信停止して", "配信を止めて", "お知らせを止めて",
             "通知を止めて", "通知オフ", "配信解除", "お知らせ解除", "配信はいらない", "配信不要"),
    "settings": ("通知設定", "お知らせ設定", "配信設定", "通知の設定", "お知らせの設定", "配信の設定", "通知", "お知らせ",
                 "お知らせ設定を変更", "通知設定を変更"),
    # Not the English "help": a resident who types it may be in danger, and gets the emergency numbers (bot.safety).
    HELP: ("使い方", "ヘルプ", "何ができる", "なにができる", "何ができますか", "なにができますか", "どう使うの",
           "どうやって使うの", "使い方がわからない"),
    MENU: ("メニュー", "menu", "一覧", "トピック", "話題", "メニューを見せて", "メニューを表示", "話題の一覧"),
    "morning": ("おはよう", "おはようございます", "おはよ", "お早うございます"),
    "hello": ("こんにちは", "こんにちわ", "hello", "hi", "やあ", "どうも", "もしもし"),
    "evening": ("こんばんは", "こんばんわ", "今晩は"),
    "intro": ("はじめまして", "初めまして"),
    "regards": ("よろしく", "よろしくお願いします", "よろしくおねがいします", "よろしくお願いいたします", "宜しくお願いします"),
    "farewell": ("さようなら", "さよなら", "さよーなら", "またね", "また今度", "またよろしく", "ばいばい", "じゃあね",
                 "じゃあまた", "失礼します", "bye", "では失礼します"),
    "night": ("おやすみ", "おやすみなさい", "お休みなさい"),
    # Answered by bot.forms.line: the supporters' club form from LINE.
    "form_apply": ("応援団に登録する", "応援団に申し込む", "応援団に入る"),
    "form_status": ("応援団の登録内容", "応援団の登録内容を確認", "応援団の登録状況", "応援団の登録を確認"),
    "form_withdraw": ("応援団をやめる", "応援団を辞める", "応援団を退会", "応援団の退会", "応援団の登録をやめる",
                      "応援団の登録を取り消す", "応援団の登録取消"),
    # Answered by bot.booking.line: booking public facilities from LINE.
    "booking_apply": ("施設を予約する", "施設を予約", "施設予約", "施設の予約", "施設を予約したい", "体育館を予約する"),
    "booking_status": ("予約の確認", "予約を確認", "予約の確認をする", "施設予約の確認", "予約状況"),
    "booking_cancel": ("予約の取消", "予約の取消し", "予約の取り消し", "予約を取り消す", "予約を取消す", "予約をキャンセル",
                       "予約のキャンセル", "施設予約の取消"),
    "thanks": ("ありがとう", "ありがとうございます", "ありがとうございました", "ありがと", "有難うございます", "助かりました",
               "助かった", "サンキュー", "thanks", "thankyou", "thank you", "了解", "わかりました", "分かりました",
               "承知しました"),
}
KINDS = (*_PHRASES, "complaint")

# Small talk said with extra words (issue 19 B5): 「ありがとう！助かったわ」, 「なまら助かった」, 「全然わからん」.
# A message made only of these phrases and the filler words below is small talk; one word of anything else
# (「ありがとうポイントって何？」) keeps it a question. Tuned on tests/data/smalltalk_tune.tsv only.
SMALLTALK = (*GREETINGS, *PARTINGS, "thanks", "complaint")
_MORE: dict[str, tuple[str, ...]] = {
    "thanks": ("助かる", "たすかる", "助かります", "助かりました", "たすかりました", "助かった", "たすかった", "ありがとね",
               "ありがとさん", "ありがとうね", "おおきに", "あざっす", "あざす", "さんきゅ", "さんきゅう", "感謝します",
               "感謝してます", "お世話になりました", "お世話様", "参考になりました", "わかりやすかった", "分かりやすかった",
               "よくわかりました", "よく分かりました", "なるほど", "どうもありがとう", "了解です", "了解しました"),
    "hello": ("こんちは", "こんちわ", "ちわっす", "ちわ", "はろ", "やっほ", "お疲れ様です", "おつかれさまです", "お疲れさまです",
              "おつかれさま", "お疲れ様", "どうもどうも"),
    "morning": ("おはようさん", "おはよございます", "おは"),
    "evening": ("おばんです", "おばんでした", "おばんです"),
    "regards": ("よろしくね", "よろしくです"),
    "farewell": ("したっけ", "したっけね", "したらね", "それじゃあ", "それじゃ", "じゃあね", "じゃね", "じゃあまた", "またくる",
                 "また来る", "また来ます", "またきます", "また聞く", "またきく", "また今度聞く", "また今度", "失礼しました",
                 "失礼いたします", "ほなね", "ほなまた", "さらば", "またお願いします", "ではまた", "それではまた", "おつかれ",
                 "お疲れ"),
    "complaint": ("使えない", "つかえない", "つかえね", "使えね", "役に立たない", "やくにたたない", "役立たず", "わからない",
                  "わからん", "分からない", "分からん", "わかりにくい", "分かりにくい", "意味わからん", "意味がわからない",
                  "意味不明", "ひどい", "最悪", "さいあく", "だめ", "ぽんこつ", "答えになってない", "答えて", "聞いたことに答えて",
                  "そうじゃない", "違う", "ちがう", "もういい", "話にならない", "使いにくい", "つかいにくい", "なんだそれ",
                  "はぁ", "はあ", "いまいち", "いらいらする", "いらいら", "しっかりして", "なんもわからん", "がっかり",
                  "残念", "ざんねん"),
}
# Words that only add colour: intensifiers, dialect, particles and endings, fillers, the weather, the bot's name.
_FILLERS = ("本当に", "ほんとに", "ほんとう", "ほんと", "とても", "すごく", "すっごく", "めっちゃ", "なまら", "まじで", "まじ",
            "いつも", "わざわざ", "丁寧に", "ていねいに", "いや", "いやあ", "いやぁ", "あ", "ああ", "あぁ", "うん", "う", "えっと",
            "ぜんぜん", "全然", "なんも", "もう", "ね", "ねぇ", "ねえ", "よ", "わ", "な", "なぁ", "なあ", "さ", "ぞ", "ぜ", "べ",
            "だべ", "しょ", "っしょ", "です", "ます", "でした", "だ", "だな", "だね", "だよ", "やん", "じゃん", "こりゃ", "って",
            "けど", "んだけど", "だけど", "じゃ", "ん", "お", "ぼっと", "ぼっとさん", "ぼっとくん", "さん", "今日も", "今日は", "寒い",
            "さむい", "暑い", "あつい", "いい天気", "いいてんき", "でも", "また", "では", "それでは")
_FILLER = ""


def _segment_table() -> dict[str, str]:
    table = {_key(w): _FILLER for w in _FILLERS}
    for kind in SMALLTALK:
        for phrase in (*_PHRASES.get(kind, ()), *_MORE.get(kind, ())):
            table[_key(phrase)] = kind
    table.pop("", None)
    return table


_SEGMENTS: dict[str, str] = {}

# Commands are short; longer messages are questions and skip the work below.
MAX_COMMAND_CHARS = 40
# Anything but letters and digits (emoji, ☆, 〜), and the long vowel mark that stretches a word (こんにちはー).
_NOISE = re.compile(r"[\W_ー]+")


def _key(text: str) -> str:
    """Return the matcher's fold of text without symbols, emoji or stretched vowels."""
    return _NOISE.sub("", fold(text))


def _kanji_free(key: str) -> bool:
    return all("\u3041" <= ch <= "\u30ff" or ch.isascii() for ch in key)


_COMMAND_KANJI = {ch for phrases in _PHRASES.values() for p in phrases for ch in _key(p) if not _kanji_free(ch)}
_FIRST_CHARS = {_key(p)[0] for phrases in _PHRASES.values() for p in phrases}
_written: dict[str, str] = {}
_read: dict[str, str] = {}
_longest = [0]
_tables_lock = threading.Lock()


def _tables() -> tuple[dict[str, str], dict[str, str]]:
    # Built on first use: the readings need the Sudachi dictionary, which warm_up() loads anyway.
    if not _written:
        with _tables_lock:
            if not _written:
                read: dict[str, str] = {}
                for kind, phrases in _PHRASES.items():
                    for phrase in phrases:
                        if not _kanji_free(_key(phrase)):
                            read.setdefault(_key(analyze(phrase).reading), kind)
                _read.update(read)
                _longest[0] = max(map(len, read), default=0)
                _written.update({_key(p): kind for kind, phrases in _PHRASES.items() for p in phrases})
    return _written, _read


def _only_command_kanji(key: str) -> bool:
    return all(ch in _COMMAND_KANJI for ch in key if not _kanji_free(ch))


def _longest_reading() -> int:
    return _longest[0]


def _lookup(key: str) -> str | None:
    written, read = _tables()
    return written.get(key) or read.get(key)


@lru_cache(maxsize=4096)
def recognise(text: str) -> str | None:
    """Return the command or small-talk kind a whole message is, or None for a question."""
    if len(text) > MAX_COMMAND_CHARS:
        return None
    key = _key(text)
    if not key:
        return None
    kind = _lookup(key) or _lookup(_key(strip_boilerplate(nfkc(text))))  # 配信停止してください, 使い方を教えて
    if kind:
        return kind
    if not _kanji_free(key) and len(key) <= _longest_reading() and _only_command_kanji(key):
        # Another spelling of the same words: 使いかた, 配信ていし. Questions skip the tokenizer here:
        # a reading is never shorter than its kanji, and their kanji (給食, 産後) are in no command.
        kind = _lookup(_key(analyze(text).reading))
        if kind:
            return kind
    return _compound(key) or _segmented(key)


def _compound(key: str) -> str | None:
    """Return the first kind of a message made of two small-talk phrases: こんにちは、よろしくお願いします."""
    written = _tables()[0]
    if key[0] not in _FIRST_CHARS:
        return None
    for end in range(len(key) - 1, 0, -1):
        head, tail = written.get(key[:end]), written.get(key[end:])
        if head and tail and head not in NOTICE_COMMANDS and tail not in NOTICE_COMMANDS:
            return head
    return None


def _segmented(key: str) -> str | None:
    """Return the small-talk kind of a message made only of small-talk phrases and filler words, else None."""
    if not _SEGMENTS:
        _SEGMENTS.update(_segment_table())
    longest = max(map(len, _SEGMENTS))
    # paths[i]: the kinds met on one way to cut key[:i] into known words (None: no way).
    paths: list[list[str] | None] = [None] * (len(key) + 1)
    paths[0] = []
    for start in range(len(key)):
        if paths[start] is None:
            continue
        for end in range(start + 1, min(len(key), start + longest) + 1):
            kind = _SEGMENTS.get(key[start:end])
            if kind is None:
                continue
            path = paths[start] + ([kind] if kind else [])
            # Keep the way with the most phrases: 「もういい」 beats 「もう」+「いい」 (not a word here anyway).
            if paths[end] is None or len(path) > len(paths[end]):
                paths[end] = path
    kinds = paths[len(key)]
    if not kinds:
        return None
    return "complaint" if "complaint" in kinds else kinds[0]
