"""The bot's words: what it says for each outcome, in plain, friendly Japanese."""
from __future__ import annotations

from typing import Sequence

from bot.conversation import contact
from bot.conversation import smalltalk as chat
from bot.knowledge.index import EntryView, Snapshot
from bot.line import messages, postback
from bot.line.messages import Chip, Message
from bot.safety import Rule
from bot.town.model import Town

MAX_TOPIC_CHIPS = 12  # one of the 13 quick-reply slots stays for 「メニュー」
RELATED_CHIPS = 4


def _menu_chip() -> Chip:
    return Chip("メニュー", postback.encode("menu"), "メニュー")


def _entry_chip(entry: EntryView, log_id: int | None = None) -> Chip:
    params = {"s": entry.slug, **({"l": log_id} if log_id else {})}
    return Chip(entry.title, postback.encode("ans", **params), entry.title)


def topic_chips(kb: Snapshot) -> list[Chip]:
    """Return one quick-reply button per category."""
    return [Chip(c, postback.encode("topic", c=c), c) for c in kb.categories()][:MAX_TOPIC_CHIPS]


def _related_chips(entry: EntryView, kb: Snapshot) -> list[Chip]:
    related = [e for e in kb.entries.values() if e.category == entry.category and e.slug != entry.slug]
    return [_entry_chip(e) for e in related[:RELATED_CHIPS]]


def answer(entry: EntryView, kb: Snapshot, town: Town, log_id: int | None, offer: Chip | None = None,
           action_button: dict | None = None) -> Message:
    """Answer with the entry's bubble, related topics as quick replies and, once per topic, a notice offer."""
    chips = _related_chips(entry, kb) + ([offer] if offer else []) + [_menu_chip()]
    return messages.answer_bubble(entry, town, log_id, chips, action_button, kb.office_for(entry.slug))


def detail(entry: EntryView, kb: Snapshot, town: Town, log_id: int | None) -> Message:
    """Show the rest of an answer and its full source, with the same 👍/👎 as the answer."""
    return messages.detail_bubble(entry, town, log_id, _related_chips(entry, kb) + [_menu_chip()])


def suggest(slugs: Sequence[str], kb: Snapshot, log_id: int | None) -> Message:
    """Offer the closest entries as buttons when unsure."""
    entries = [kb.entries[s] for s in slugs if s in kb.entries][:3]
    lines = "\n".join(f"・{e.title}" for e in entries)
    body = f"もしかして、こちらのことでしょうか？\n{lines}\n\n下のボタンから選んでください。"
    return messages.text(body, [_entry_chip(e, log_id) for e in entries] + [_menu_chip()])


def fallback(kb: Snapshot, town: Town) -> Message:
    """Say plainly that the bot does not know, and whom to ask."""
    body = (
        "すみません、そのご質問にはまだお答えできません。\n"
        "お手数ですが、こちらへお問い合わせください。\n"
        f"{contact.switchboard(town, website=True)}\n\n"
        "いただいたご質問は、今後の回答づくりの参考にさせていただきます。"
    )
    if kb.entries:
        body += "\n下のボタンから、お答えできる話題を選ぶこともできます。"
    return messages.text(body, topic_chips(kb))


def _website(town: Town) -> str:
    """Return the town's website on a line of its own ('' until staff have set one)."""
    return f"\n{town.website}" if town.website else ""


def gone(kb: Snapshot, town: Town) -> Message:
    """Explain that a topic is no longer answered here."""
    body = f"その話題の案内は現在お休みしています。詳しくは{town.contact_line()}へお問い合わせください。{_website(town)}"
    return messages.text(body, topic_chips(kb))


def topic(category: str, kb: Snapshot, town: Town) -> Message:
    """List the entries of one category as buttons."""
    entries = [e for e in kb.entries.values() if e.category == category]
    if not entries:
        return menu(kb, town)
    body = f"「{category}」について、知りたいことを選んでください。"
    return messages.text(body, [_entry_chip(e) for e in entries][:12] + [_menu_chip()])


def menu(kb: Snapshot, town: Town) -> Message:
    """Show the topic menu."""
    if not kb.entries:
        return messages.text(f"いまはご案内できる話題がありません。{town.contact_line()}へお問い合わせください。{_website(town)}")
    return messages.text("知りたい話題を選んでください。質問をそのまま送っていただいても大丈夫です。", topic_chips(kb))


def welcome(kb: Snapshot, town: Town) -> Message:
    """Greet a new follower and say what the bot can answer."""
    if town.disaster and town.disaster_greeting.strip():
        return messages.text(town.disaster_greeting.strip(), topic_chips(kb))
    topics = "、".join(kb.categories()) or "市の取り組み"
    body = (
        f"友だち追加ありがとうございます！{town.name}のご案内ボットです。\n"
        f"{topics}などについて、ふだんの言葉で質問してください。\n"
        "例：「給食費ってタダになるの？」「コンビニで住民票とれる？」\n\n"
        "お答えできないときは、問い合わせ先をご案内します。"
    )
    return messages.text(body, topic_chips(kb))


def help_message(kb: Snapshot, town: Town) -> Message:
    """Explain how to use the bot."""
    body = (
        "使い方\n"
        "・知りたいことを、そのまま文章で送ってください（ひらがなでも大丈夫です）。\n"
        "・近い話題が見つかったときは、ボタンで候補をお出しします。\n"
        "・「メニュー」と送ると、話題の一覧が出ます。\n"
        f"・お答えできないときは、{town.contact_line()}をご案内します。"
    )
    return messages.text(body, topic_chips(kb))


def smalltalk(kind: str, kb: Snapshot, town: Town) -> Message:
    """Answer greetings, farewells, thanks, help and menu requests naturally."""
    if kind == "help":
        return help_message(kb, town)
    if kind == "menu":
        return menu(kb, town)
    if town.disaster and town.disaster_greeting.strip() and chat.opens_conversation(kind):
        # 災害時モード: a greeting gets the disaster greeting (what to do now), not 「こんにちは！」.
        return messages.text(town.disaster_greeting.strip(), topic_chips(kb))
    body = chat.reply_text(kind, town.name, chat.clock())
    return messages.text(body, topic_chips(kb) if chat.opens_conversation(kind) else [_menu_chip()])


def feedback_thanks(helpful: bool, town: Town) -> Message:
    """Thank the resident for a 👍 or 👎."""
    if helpful:
        return messages.text("ありがとうございます！お役に立ててうれしいです。", [_menu_chip()])
    return messages.text(
        "お役に立てず、すみません。ご意見は担当者が確認して、案内を改善します。\n"
        f"お急ぎの場合は{town.contact_line()}へお問い合わせください。{_website(town)}",
        [_menu_chip()],
    )


def feedback_already() -> Message:
    """Say briefly that this answer's 👍 or 👎 was already received."""
    return messages.text("この回答へのご意見は、すでにお受けしています。", [_menu_chip()])


_MEDIA = {
    "sticker": "スタンプありがとうございます！",
    "image": "画像を受け取りましたが、内容を読み取ることはできません。",
    "video": "動画を受け取りましたが、内容を確認することはできません。",
    "audio": "音声を受け取りましたが、聞き取ることはできません。",
    "location": "位置情報ありがとうございます。ただ、場所からのご案内にはまだ対応していません。",
    "file": "ファイルを受け取りましたが、開くことはできません。",
}


def media_guidance(media_type: str, kb: Snapshot) -> Message:
    """Kindly explain that only text questions are understood."""
    opener = _MEDIA.get(media_type, "メッセージを受け取りました。")
    return messages.text(f"{opener}\nご質問は文字で送ってください。例：「応援団に登録したい」", topic_chips(kb))


def personal_data_reminder(town: Town | None = None) -> Message:
    """Ask the resident not to send personal data over LINE, and say where to ask instead."""
    # Never the data itself: the reminder names only the kinds of it.
    where = f"ご本人に関わるご相談は、{town.contact_line()}へお電話か窓口でどうぞ。" if town else ""
    return messages.text("電話番号・住所・メールアドレス・マイナンバーなどの個人情報は、LINEでは送らないようお願いします。"
                         f"{where}いただいた番号などは、伏せて記録しました。")


def truncated_notice(limit: int) -> Message:
    """Tell the resident a very long message was only partly read."""
    return messages.text(f"メッセージがとても長いため、最初の{limit}文字で調べました。")


def urgent(rules: Sequence[Rule], town: Town) -> Message:
    """Answer an urgent message with the fixed text of every rule it met and a call button per number."""
    parts = [r.reply for r in rules]
    # One button per number, in the order the rules give them; a rule answering in another language labels its
    # buttons in that language ("Call 119"), and long crisis lines carry their name (よりそいホットラインに電話).
    labels: dict[str, str] = {}
    for r in rules:
        for n in r.numbers:
            labels.setdefault(n, r.call_label(n))
    calls = [(label, messages.tel_uri(n)) for n, label in labels.items()]
    if any(r.town for r in rules):
        # The town's own number only when staff have set it; never a guessed one.
        if town.phone:
            parts.append(f"あわせて{town.contact}（電話 {town.phone}）にもお知らせください。")
            calls.append((f"{town.contact}に電話", messages.tel_uri(town.phone)))
        elif town.website:
            parts.append(f"あわせて{town.contact}にもお知らせください。\n{town.kind}のホームページ：{town.website}")
            calls.append((f"{town.kind}のホームページ", town.website))
        else:  # a town whose staff have set neither yet
            parts.append(f"あわせて{town.contact}にもお知らせください。")
    title = rules[0].title if len(rules) == 1 else "緊急のご案内"
    return messages.urgent_bubble(title, "\n\n".join(parts), calls)
