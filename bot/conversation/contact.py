"""Recognise a resident asking for a person, a phone number or the opening hours, and say whom to call."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Protocol

from bot.conversation.privacy import mask
from bot.town.model import Town
from bot.matching.normalize import fold

# Asking for a person is short; a longer message is a question that happens to use these words.
MAX_CONTACT_CHARS = 60

# Written in the matcher's fold (NFKC, lower case, hiragana, no spaces or punctuation), so katakana,
# half-width and full-width spellings meet here. Each pattern must reach the end of the message: the
# request is what the resident ends on (「電話でのマイナンバー手続き」 ends on a procedure: a question).
_PERSON = (r"(?:ひと|人|人間|にんげん|職員|しょくいん|担当者?|たんとう(?:しゃ)?|係員|かかりいん|すたっふ|おぺれーたー|"
           r"誰か|だれか|生身の人|(?:係|かかり|窓口|まどぐち|市役所|しやくしょ|役所|やくしょ|役場|やくば)の(?:人|ひと|方|かた))"
           r"(?:の(?:人|ひと|方|かた))?(?:さん|様|さま)?")
_TALK = (r"(?:と|に|とも)?(?:直接|ちょくせつ)?(?:電話で|でんわで)?"
         r"(?:話(?:を|が)?し?たい|はなし?たい|話(?:せ|させ)(?:る|ます|ません|ない|て)|はな(?:せ|させ)(?:る|ます|ません|ない|て)|"
         r"相談し?たい|そうだんし?たい|聞きたい|ききたい|代わって|かわって|替わって|変わって|"
         r"(?:つな|繋)(?:いで|いて|げて|げる|がる|ぎたい|いでほしい|いでもらえる)|連絡し?たい|れんらくし?たい)")
_HERE = (r"(?:は|って|の|が|も)?(?:いますか|いません|います|いる|いない|おる|おらん|おらない|おりますか|おります|"
         r"いらっしゃいますか|いらっしゃる|がいい|のほうがいい|お願い|おねがい|呼んで|よんで)")
_PHONE = r"(?:電話|でんわ|tel)"
_PHONE_ASK = (rf"{_PHONE}(?:で|でも)(?:直接|ちょくせつ)?(?:話し?|はなし?|聞き|きき|問い合わせ|問合せ|といあわせ|相談し?|そうだんし?|確認し?)"
              r"(?:たい|でき(?:る|ます|ない|ません)|ても(?:いい|大丈夫))"
              rf"|{_PHONE}(?:を)?(?:し|かけ)たい"
              rf"|(?:代表)?{_PHONE}の?(?:番号|ばんごう)(?:を|は|が|って)?(?:教えて|おしえて|知りたい|しりたい|わかる|分かる|わからない|"
              r"分からない|なに|何|何番|なんばん|どこ|どれ)?"
              r"|代表番号(?:を|は|が|って)?(?:教えて|おしえて|知りたい|しりたい)?")
# Only about the town hall itself: 「図書館は何時まで」 and 「プールの営業時間」 are questions for the FAQ.
_HALL = r"(?:市役所|しやくしょ|役所|やくしょ|役場|やくば|市|し|窓口|まどぐち|芦別市役所|芦別市)?(?:の|は|って)?"
_HOURS = (rf"{_HALL}(?:開庁時間|かいちょうじかん|開庁日|かいちょうび|受付時間|うけつけじかん|窓口の時間|窓口時間|業務時間|営業時間)"
          r"(?:は|を|って|が)?(?:教えて|おしえて|知りたい|しりたい|何時|なんじ|いつ|何時から何時まで)?"
          r"|(?:市役所|しやくしょ|役所|やくしょ|役場|やくば|窓口|まどぐち)(?:は|って|の|が)?(?:今日|きょう|土曜|日曜|土日|祝日)?(?:は|も)?"
          r"(?:(?:何時|なんじ)(?:まで|から)|(?:あいて|開いて|空いて|やって)(?:る|います|ますか))"
          r"(?:あいて(?:る|います|ますか)|開いて(?:る|います|ますか)|やって(?:る|ます|ますか)|営業|なの|です)?")
_WHERE = (r"(?:市役所|役所|市|芦別市)?の?(?:問い合わせ先|問合せ先|問合わせ先|といあわせさき|連絡先|れんらくさき|問い合わせ窓口)"
          r"(?:は|を|って|が)?(?:どこ|教えて|おしえて|知りたい|しりたい|わかる|分かる)?")
# Polite, dialect and colloquial endings the resident may add: 〜ください, 〜っしょ, 〜だべ, 〜おらん?
_TAIL = (r"(?:ください|下さい|くださ|ちょうだい|くれ(?:ない|ませんか|ますか|る)?|ほしい|欲しい|もらえ(?:ますか|る|ない)|"
         r"いただけ(?:ますか|る|ない)|します|いたします|したい|です|ですか|ですが|ですけど|ます|ますか|まし|"
         r"のですが|んですが|んですけど|んだけど|んだが|だけど|けど|けれど|が|っしょ|しょ|だべ|べさ|べ|さ|ね|よ|な|か|わ|"
         r"なぁ|なあ|かな|かね|や|の|ん|ー|〜|~|\?|!)*")
_REQUEST = re.compile(
    rf"(?:{_PERSON}(?:{_TALK}|{_HERE})|{_PHONE_ASK}|{_HOURS}|{_WHERE}){_TAIL}$"
)
# Asking for a person (not for a number, the hours or where to ask): what starts a chat at the オンライン窓口.
_TALK_REQUEST = re.compile(rf"(?:{_PERSON}(?:{_TALK}|{_HERE})){_TAIL}$")
_PLACEHOLDERS = re.compile(r"［(?:電話|メール|番号)］")
# A number to dial in an entry's free-text contact (0124-22-2111).
_NUMBER = re.compile(r"\d{2,5}[-‐－ー]?\d{1,4}[-‐－ー]?\d{3,4}")
# What may stand before the request: a short reason (「給食費のことで」「ぼっとじゃなくて」), nothing longer.
_MAX_PREFIX = 20


class Office(Protocol):
    """Whom to call about one topic: anything with a name, phone and hours (bot.offices.OfficeView)."""

    name: str
    phone: str
    hours: str


@lru_cache(maxsize=4096)
def wants_person(text: str) -> bool:
    """Tell whether a message asks for a person, the phone number or the town hall's hours."""
    if not text or len(text) > MAX_CONTACT_CHARS:
        return False
    # 「担当者と話したい 090-…」: the resident's own number is no part of the request.
    key = fold(_PLACEHOLDERS.sub("", mask(text)))
    match = _REQUEST.search(key)
    return match is not None and match.start() <= _MAX_PREFIX


@lru_cache(maxsize=4096)
def wants_talk(text: str) -> bool:
    """Tell whether a message asks to talk with a person (「職員と話したい」), not only for a number or the hours."""
    if not wants_person(text):
        return False
    match = _TALK_REQUEST.search(fold(_PLACEHOLDERS.sub("", mask(text))))
    return match is not None and match.start() <= _MAX_PREFIX


def switchboard(town: Town, *, website: bool = False) -> str:
    """Return the town's switchboard and hours, and its website when no phone is set (or when asked)."""
    lines = [f"{town.contact}（代表電話 {town.phone}）" if town.phone else town.contact]
    if town.hours:
        lines.append(f"受付時間：{town.hours}")
    if town.website and (website or not town.phone):
        lines.append(f"{town.kind}のホームページ：{town.website}")
    return "\n".join(lines)


def reply_text(town: Town, topic: str = "", topic_contact: str = "", office: Office | None = None) -> str:
    """Return the contact reply: the switchboard, the office for the last topic, and that the wish was passed on."""
    # No number, no promise of a call: until staff set the switchboard (or the office's phone), the reply
    # points to the website instead of saying 「お電話でご案内します」 with nothing to dial (issue 19 B4).
    callable_ = bool(town.phone or (office is not None and office.phone)
                     or (office is None and topic and _NUMBER.search(topic_contact or "")))
    opening = ("職員へのお問い合わせですね。お電話でご案内します。" if callable_ else
               f"職員へのお問い合わせですね。{town.hall}の電話番号は、このLINEではまだご案内できません。"
               + (f"{town.kind}のホームページでお問い合わせ先をご確認ください。" if town.website else ""))
    parts = [opening, switchboard(town, website=not callable_)]
    if office is not None:
        phone = f"（電話 {office.phone}）" if office.phone else ""
        hours = f"\n受付時間：{office.hours}" if office.hours else ""
        parts.append(f"さきほどの「{topic}」については、{office.name}{phone}が担当です。{hours}" if topic
                     else f"担当は{office.name}{phone}です。{hours}")
    elif topic and topic_contact:
        parts.append(f"さきほどの「{topic}」のお問い合わせ先：\n{topic_contact}")
    urgent = ("お急ぎのときはお電話ください。" if callable_ else
              f"お急ぎのときは{town.kind}のホームページのお問い合わせ先をご覧ください。" if town.website else
              f"お急ぎのときは{town.contact}に直接お問い合わせください。")
    parts.append(f"職員と話したいというご希望は、{town.kind}の担当者に伝えました。"
                 "LINEで職員からお返事することはできませんので、" + urgent)
    return "\n\n".join(parts)
