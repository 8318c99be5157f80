"""Decide what to say to one incoming event, record it, and build the messages."""
from __future__ import annotations

import hmac
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.chat import resident as chat_resident
from bot.conversation import contact, handover, records, replies, simulated
from bot.conversation.banner import with_banner
from bot.conversation.commands import NOTICE_COMMANDS, recognise
from bot.conversation.incoming import Incoming, Reply
from bot.conversation.privacy import mask, user_hash
from bot.conversation.records import Claim
from bot.extensions import db
from bot.followers import FollowerState, touch_follower
from bot.booking import line as booking_line
from bot.forms import line as forms_line
from bot.knowledge.index import EntryView, Snapshot, knowledge, latest_knowledge
from bot.line import postback
from bot.matching import Decision
from bot.models import Follower, QuestionLog, utcnow
from bot.notices import resident as notices
from bot.notices import topics
from bot.notices.subscriptions import forget as notices_forget
from bot.safety import Rule, urgent_rules
from bot.shelters.answer import disaster_answer, disaster_topics
from bot.town.model import Town
from bot.town.settings import current_town

log = logging.getLogger(__name__)

# Residents paste long texts; we match on the start and keep the log readable.
MAX_QUERY_CHARS = 500
MAX_LOGGED_CHARS = 1000


@dataclass(frozen=True)
class Prepared:
    """The matcher's decision on a question, made before anything is written, and the knowledge it used."""

    snapshot: Snapshot | None  # None for an urgent message: it is never matched against the FAQ
    decision: Decision | None
    seconds: float
    urgent: tuple[Rule, ...] = ()
    contact: bool = False  # 「人と話したい」: the switchboard, not an FAQ answer
    chat: bool = False  # the resident was talking with staff (オンライン窓口): nothing was matched
    chat_ref: object = None  # their chat as the webhook found it (bot.chat.store.ChatRef)


def prepare(incoming: Incoming, kb: Snapshot | None = None, *, chatting=None) -> Prepared | None:
    """Match a question ahead of the database work; None for anything that is not a question."""
    # The webhook calls this before it claims the event, so no transaction (on SQLite: no write lock)
    # stays open while the CPU-heavy matching runs. It matches against the index built last; recording
    # the question checks that the knowledge has not moved since (records.record_question).
    text = _question(incoming)
    if text is None:
        return None
    started = time.perf_counter()
    urgent = urgent_rules(text)  # safety first: before, and instead of, any FAQ matching
    if urgent:
        # Nothing from the knowledge is needed, so a cold worker does not build its index before saying 119.
        return Prepared(kb, None, time.perf_counter() - started, urgent, chat=bool(chatting), chat_ref=chatting or None)
    if chatting:
        # Staff answer this resident (オンライン窓口): the safety check above is all the bot does.
        return Prepared(kb, None, time.perf_counter() - started, chat=True, chat_ref=chatting)
    kb = kb or latest_knowledge()  # the last index built: no database round trip once there is one
    if contact.wants_person(text):
        return Prepared(kb, None, time.perf_counter() - started, contact=True)
    decision = kb.decide(text[:MAX_QUERY_CHARS])
    return Prepared(kb, decision, time.perf_counter() - started)


def respond(incoming: Incoming, prepared: Prepared | None = None, claim: Claim | None = None) -> Reply | None:
    """Return the reply to one incoming event after saving what it records; None when claim was taken before."""
    g.pop(_TOWN_KEY, None)  # the town is read once per reply: the handler and the banner share it
    # A question the webhook found no chat for costs no look here (one statement on PostgreSQL: the hot path).
    if prepared is not None and prepared.chat_ref is not None:
        chat = prepared.chat_ref  # found by the webhook a moment ago; the write below checks it is still open
    else:
        chat = _open_chat(incoming) if prepared is None or prepared.chat else None
    if chat is not None:
        reply = _in_chat(incoming, prepared, claim, chat)
    elif prepared is not None:
        # A question: the claim is written together with the question log (one statement on PostgreSQL).
        reply = _answer(incoming, prepared, claim)
    elif claim is not None and not records.claim_event(claim.event_id, claim.event_type):
        reply = None
    else:
        handler = _HANDLERS.get(incoming.kind, _unknown)
        reply = handler(incoming)
    if reply is None:
        db.session.rollback()
        return None
    reply.messages = with_banner(reply.messages, _town())  # here, so that no kind of reply can miss it
    db.session.commit()
    return reply


def respond_to_event(incoming: Incoming, prepared: Prepared | None, claim: Claim | None) -> Reply | None:
    """Answer a webhook event, one writer at a time: its claim commits with what the reply records; None when
    another request claimed it first."""
    with records.one_writer():
        try:
            return respond(incoming, prepared, claim)
        except IntegrityError:
            # Two webhooks raced to create the same row (a new resident's first messages arrive together): the
            # other one has committed it and this transaction, claim included, is rolled back, so one more try
            # finds the row and nothing has been sent yet.
            db.session.rollback()
            log.info("retrying event %s after a concurrent insert", claim.event_id if claim else "-")
            return respond(incoming, prepared, claim)


def _answer(incoming: Incoming, prepared: Prepared, claim: Claim | None) -> Reply | None:
    text = incoming.text.strip()
    if prepared.chat:
        # The chat ended since the webhook looked (staff ended it): answer as the bot again.
        prepared = prepare(incoming) or prepared
    try:
        return _answer_question(incoming, text, prepared, claim)
    except records.KnowledgeMoved:
        # Staff changed the knowledge since this process last looked: answer from the new version.
        db.session.rollback()
        again = prepare(incoming, knowledge(recheck=True))
        return _answer_question(incoming, text, again, claim, check_version=False)


def _question(incoming: Incoming) -> str | None:
    """Return the text to match when the event is a question, not a command or small talk."""
    if incoming.kind != "text":
        return None
    text = incoming.text.strip()
    if not text or recognise(text):
        return None
    return text


def _text(incoming: Incoming) -> Reply:
    kb = knowledge()
    text = incoming.text.strip()
    if not text:
        return Reply([replies.help_message(kb, _town())], outcome="smalltalk")
    kind = recognise(text)
    if kind in NOTICE_COMMANDS:
        _touch_follower(incoming)
        return Reply(notices.handle_text(kind, _resident(incoming)), outcome="notices")
    if kind in forms_line.FORM_COMMANDS:
        _touch_follower(incoming)
        return Reply(forms_line.handle_text(kind, _resident(incoming)), outcome="form")
    if kind in booking_line.COMMANDS:
        _touch_follower(incoming)
        return Reply(booking_line.handle_text(kind, _resident(incoming)), outcome="form")
    if kind:
        # Small talk is neither a question nor unanswered: nothing goes to the question log or the inbox.
        _touch_follower(incoming)
        return Reply([replies.smalltalk(kind, kb, _town())], outcome="smalltalk")
    return _answer_question(incoming, text, prepare(incoming, kb), check_version=False)


def _answer_question(incoming: Incoming, text: str, prepared: Prepared, claim: Claim | None = None, *,
                     check_version: bool = True) -> Reply | None:
    if prepared.urgent:
        return _urgent(incoming, text, prepared, claim)
    if prepared.contact:
        return _contact(incoming, text, prepared, claim)
    # 災害時モード: a question about evacuation, shelters, outages or family gets the disaster answer instead of
    # the FAQ's. Decided here, inside the transaction, not in prepare: reading the town there could open a read
    # transaction on SQLite before the writer lock (the FAQ decision prepare made is simply not used).
    found = disaster_topics(text, _town())
    if found:
        return _disaster(incoming, text, found, prepared, claim)
    kb, decision = prepared.snapshot, prepared.decision
    assert kb is not None and decision is not None
    truncated = len(text) > MAX_QUERY_CHARS
    entry_slug = decision.top.id if decision.outcome == "answer" and decision.top else None
    entry = kb.entries.get(entry_slug) if entry_slug else None
    # A simulated resident stays out of the webhook's one-statement upsert, which would store it as a plain
    # follower (the database refuses that); it is touched and offered topics the ORM way below.
    resident = _resident(incoming)
    user_id = None if simulated.is_simulated(resident) else resident
    # The topic comes from the snapshot the answer came from: asking for the current one would cost a
    # round trip that record_question's version check makes unnecessary.
    topic = topics.for_category(entry.category, kb) if entry is not None and user_id else None
    logged = mask(text[:MAX_LOGGED_CHARS])
    record = records.record_question(
        claim, user_id, topic.slug if topic else None, version=kb.version if check_version else None,
        text=logged,
        user_hash=_hash(incoming),
        channel=incoming.channel,
        outcome=decision.outcome,
        entry_slug=entry_slug,
        score=round(decision.top.score, 4) if decision.top else 0.0,
        candidates=[{"slug": c.id, "score": round(c.score, 4)} for c in decision.candidates[:5]],
        latency_ms=int(prepared.seconds * 1000),
    )
    if record is None:
        return None
    log_id = record.log_id
    town = _town()
    if entry is not None:
        if resident != user_id:
            offer = notices.offer_chip(resident, entry.category, _touch_follower(incoming))
        else:
            offer = notices.offer(topic) if record.offered else None
        messages = [replies.answer(entry, kb, town, log_id, offer, _form_button(entry.slug, resident))]
    elif decision.outcome == "suggest":
        messages = [replies.suggest([c.id for c in decision.candidates], kb, log_id)]
    else:
        messages = [replies.fallback(kb, town)]
    if truncated:
        messages.insert(0, replies.truncated_notice(MAX_QUERY_CHARS))
    if logged != text[:MAX_LOGGED_CHARS]:
        # Before the answer, which keeps the quick replies: LINE shows only the last message's.
        messages.insert(0, replies.personal_data_reminder(town))
    return Reply(messages, outcome=decision.outcome, entry_slug=entry_slug, log_id=log_id)


def _urgent(incoming: Incoming, text: str, prepared: Prepared, claim: Claim | None) -> Reply | None:
    """Record an urgent message (outcome safety, flagged 緊急 or 要配慮 for staff) and return the fixed reply."""
    # No version check: the reply comes from safety.yaml, not from the knowledge the version counts.
    resident = _resident(incoming)
    if simulated.is_simulated(resident):
        _touch_follower(incoming)  # the ORM way: the one-statement upsert would store it as a plain follower
        resident = None
    record = records.record_question(
        claim, resident, None, version=None, text=mask(text[:MAX_LOGGED_CHARS]),
        user_hash=_hash(incoming), channel=incoming.channel, outcome="safety", entry_slug=None, score=0.0,
        candidates=[], latency_ms=int(prepared.seconds * 1000),
        # Staff see it flagged in the inbox and on the overview, with the numbers the bot gave.
        safety_flag="care" if any(getattr(r, "flag", "urgent") == "care" for r in prepared.urgent) else "urgent",
        # A reply chosen by the learned model (the rules found nothing) says so, with its P(urgent), for review.
        safety_reply=[{"slug": r.slug, "title": r.title, "numbers": list(r.numbers),
                       **({"learned": r.learned} if getattr(r, "learned", 0) else {})} for r in prepared.urgent],
    )
    if record is None:
        return None
    return Reply([replies.urgent(prepared.urgent, _town())], outcome="safety", log_id=record.log_id)


def _disaster(incoming: Incoming, text: str, found: tuple[str, ...], prepared: Prepared,
              claim: Claim | None) -> Reply | None:
    """Record a disaster question (outcome disaster) and answer with open shelters, 171 and the suppliers."""
    resident = _resident(incoming)
    if simulated.is_simulated(resident):
        _touch_follower(incoming)  # the ORM way, as in _urgent
        resident = None
    logged = mask(text[:MAX_LOGGED_CHARS])
    record = records.record_question(
        claim, resident, None, version=None, text=logged, user_hash=_hash(incoming), channel=incoming.channel,
        outcome="disaster", entry_slug=None, score=0.0, candidates=[], latency_ms=int(prepared.seconds * 1000),
    )
    if record is None:
        return None
    town = _town()
    messages = [disaster_answer(found, town)]
    if logged != text[:MAX_LOGGED_CHARS]:
        messages.insert(0, replies.personal_data_reminder(town))
    return Reply(messages, outcome="disaster", log_id=record.log_id)


def _contact(incoming: Incoming, text: str, prepared: Prepared, claim: Claim | None) -> Reply | None:
    """Record a wish to talk to staff (outcome contact, shown in the inbox) and return whom to call."""
    kb, resident = prepared.snapshot, _resident(incoming)
    assert kb is not None
    if simulated.is_simulated(resident):
        _touch_follower(incoming)  # the ORM way, as in _urgent
        resident = None
    asker = _hash(incoming)
    entry = handover.last_entry(asker, kb)  # before this row is written: the topic asked before
    logged = mask(text[:MAX_LOGGED_CHARS])
    record = records.record_question(
        claim, resident, None, version=None, text=logged, user_hash=asker, channel=incoming.channel,
        outcome="contact", entry_slug=entry.slug if entry else None, score=0.0, candidates=[],
        latency_ms=int(prepared.seconds * 1000),
    )
    if record is None:
        return None
    town = _town()
    messages = [handover.message(town, kb, entry)]
    if resident and incoming.channel == "line" and contact.wants_talk(text):
        # オンライン窓口: during its hours staff answer here; outside them the request waits, with whom to call.
        opened, said = chat_resident.start(resident, asker, town.contact)
        messages = [replies_text(said)] + ([] if opened else messages)
    if logged != text[:MAX_LOGGED_CHARS]:
        messages.insert(0, replies.personal_data_reminder(town))
    return Reply(messages, outcome="contact", entry_slug=entry.slug if entry else None, log_id=record.log_id)


def _open_chat(incoming: Incoming):
    """Return the resident's open chat with staff, or None (only one-to-one LINE users can chat)."""
    if incoming.kind not in ("text", "media") or incoming.channel != "line" or not _town().chats_open:
        return None
    resident = _resident(incoming)
    return chat_resident.open_chat(resident) if resident else None


def _in_chat(incoming: Incoming, prepared: Prepared | None, claim: Claim | None, chat) -> Reply | None:
    """Pass a message to staff (オンライン窓口): the bot stays silent, except for the safety reply and the end."""
    text = incoming.text.strip()
    urgent = prepared.urgent if prepared is not None else ()
    if incoming.kind == "text" and not urgent and prepared is None:
        urgent = urgent_rules(text)
    if incoming.kind == "text" and text and not urgent and not chat_resident.is_end(text) \
            and not chat_resident.quiet_too_long(chat):
        # The usual message: claimed and stored in one statement on PostgreSQL; no reply.
        passed = chat_resident.turn(claim.event_id if claim else None, claim.event_type if claim else "", chat, text,
                                    incoming.read_token)
        if passed is None:
            return None
        if passed:
            return Reply([], outcome="chat")
        # Staff ended the chat a moment ago: the event is claimed, and the bot answers it.
        again = prepare(incoming)
        return _answer(incoming, again, None) if again is not None else _text(incoming)
    if claim is not None and not records.claim_event(claim.event_id, claim.event_type):
        return None
    if chat_resident.quiet_too_long(chat):
        chat_resident.end(chat, "quiet")
        again = prepare(incoming) if incoming.kind == "text" else None
        reply = _answer(incoming, again, None) if again is not None else _HANDLERS.get(incoming.kind, _unknown)(incoming)
        if reply is not None:
            reply.messages = [replies_text(chat_resident.ended_quietly()), *reply.messages][:5]
        return reply
    if incoming.kind == "media":
        photo, refused = chat_resident.media(chat, incoming.media_type, incoming.message_id, incoming.read_token)
        reply = Reply([replies_text(refused)] if refused else [], outcome="chat")
        if photo is not None:
            reply.photo_ids.append(photo)
        return reply
    if chat_resident.is_end(text):
        chat_resident.end(chat, "resident")
        return Reply([replies_text(chat_resident.ended_by_resident())], outcome="chat")
    if urgent:
        # Safety first, also in a chat: the fixed reply goes out at once, and staff see the message flagged.
        safety = Prepared(None, None, prepared.seconds if prepared else 0.0, urgent)
        reply = _urgent(incoming, text, safety, None)
        flag = "care" if any(getattr(r, "flag", "urgent") == "care" for r in urgent) else "urgent"
        chat_resident.text(chat, text, flag, incoming.read_token)
        return reply
    chat_resident.text(chat, text, None, incoming.read_token)
    return Reply([], outcome="chat")


def replies_text(body: str):
    from bot.line import messages as line_messages
    return line_messages.text(body)


def _postback(incoming: Incoming) -> Reply:
    params = postback.decode(incoming.data)
    action = params.get("a")
    kb = knowledge()
    town = _town()
    if action == "ans":
        return _answer_choice(params, kb, town, incoming)
    if action in notices.ACTIONS:
        _touch_follower(incoming)
        return Reply(notices.handle_postback(params, _resident(incoming)), outcome="notices")
    if action in forms_line.ACTIONS:
        _touch_follower(incoming)
        return Reply(forms_line.handle_postback(params, _resident(incoming)), outcome="form")
    if action in booking_line.ACTIONS:
        _touch_follower(incoming)
        return Reply(booking_line.handle_postback(params, _resident(incoming)), outcome="form")
    if action == "topic":
        return Reply(_topic_offers(params.get("c", ""), kb, incoming) + [replies.topic(params.get("c", ""), kb, town)],
                     outcome="menu")
    if action == "menu":
        return Reply([replies.menu(kb, town)], outcome="menu")
    if action == "fb":
        return _feedback(params, incoming)
    if action == "more":
        return _more(params, incoming, kb, town)
    log.info("ignoring postback with unknown action %r", action)
    return Reply([replies.menu(kb, town)], outcome="menu")


def _answer_choice(params: dict[str, str], kb: Snapshot, town, incoming: Incoming) -> Reply:
    """Answer the entry a resident picked from suggestions, a topic menu or a quick reply."""
    entry = kb.entries.get(params.get("s", ""))
    if entry is None:
        # The entry was unpublished since the button was sent.
        return Reply([replies.gone(kb, town)], outcome="fallback")
    log_id = _choice_log(entry, params, incoming)
    follower = _touch_follower(incoming)
    offer = notices.offer_chip(_resident(incoming), entry.category, follower)
    return Reply([replies.answer(entry, kb, town, log_id, offer, _form_button(entry.slug, _resident(incoming)))],
                 outcome="answer", entry_slug=entry.slug, log_id=log_id)


def _form_button(entry_slug: str, resident: str | None):
    """Return the 「応援団に登録する」 button of an entry that offers a form (its own slug), else None."""
    if forms_line.offers(entry_slug):
        return forms_line.button(entry_slug, resident)
    return booking_line.button(entry_slug, resident)  # 「施設を予約する」 on the facility-reservation answer


def _topic_offers(category: str, kb: Snapshot, incoming: Incoming) -> list:
    """Return the form buttons of a topic's entries, shown before its list (whose quick replies must come last)."""
    slugs = [e.slug for e in kb.entries.values() if e.category == category and forms_line.offers(e.slug)]
    if slugs:
        _touch_follower(incoming)
    return [m for m in (forms_line.offer(s, _resident(incoming)) for s in slugs[:2]) if m is not None]


def _choice_log(entry: EntryView, params: dict[str, str], incoming: Incoming) -> int:
    """Return the question-log row a picked answer's 👍/👎 goes to: the sender's suggestion it settles, or a new one."""
    row = _own_row(params, incoming)  # another resident's id must not reach our buttons
    if row is not None and row.outcome == "suggest" and row.entry_slug in (None, entry.slug):
        # The resident told us which suggestion was right: that is worth keeping for staff.
        row.entry_slug = entry.slug
        return row.id
    # A tap on a menu or a related topic is no question, so the overview does not count it as one
    # (outcome "choice"); a 👎 on it still reaches the inbox.
    return records.log_question(text=mask(entry.title[:MAX_LOGGED_CHARS]), user_hash=_hash(incoming),
                                channel=incoming.channel, outcome="choice", entry_slug=entry.slug, score=0.0,
                                latency_ms=0, candidates=[])


def _more(params: dict[str, str], incoming: Incoming, kb: Snapshot, town) -> Reply:
    """Show the rest of an answer (続きを読む), with the 👍/👎 of the answer it continues."""
    entry = kb.entries.get(params.get("s", ""))
    if entry is None:
        return Reply([replies.gone(kb, town)], outcome="fallback")
    row = _own_row(params, incoming)
    log_id = row.id if row is not None else None
    return Reply([replies.detail(entry, kb, town, log_id)], outcome="detail", entry_slug=entry.slug, log_id=log_id)


def _feedback(params: dict[str, str], incoming: Incoming) -> Reply:
    value = params.get("v")
    row = _own_row(params, incoming)
    if row is not None and value in ("up", "down"):
        # One answer, one vote: the first tap counts, also when two taps arrive at once.
        voted = db.session.execute(
            update(QuestionLog).where(QuestionLog.id == row.id, QuestionLog.feedback.is_(None)).values(feedback=value),
            execution_options={"synchronize_session": False})
        if voted.rowcount != 1:
            return Reply([replies.feedback_already()], outcome="feedback")
    # A row that is gone or someone else's gets the same words: the reply tells no one which ids exist.
    return Reply([replies.feedback_thanks(value == "up", _town())], outcome="feedback")


def _own_row(params: dict[str, str], incoming: Incoming) -> QuestionLog | None:
    """Return the question-log row a postback names, only when the sender is the one who asked it."""
    log_id = _int(params.get("l"))
    row = db.session.get(QuestionLog, log_id) if log_id else None
    if row is None or row.channel != incoming.channel:
        return None
    sender = _hash(incoming)
    if incoming.channel == "line" and not sender:
        return None  # groups and rooms: nobody's hash is stored, so nobody can prove the row is theirs
    return row if hmac.compare_digest(row.user_hash, sender) else None


def _follow(incoming: Incoming) -> Reply:
    _touch_follower(incoming, status="active")
    return Reply([replies.welcome(knowledge(), _town())], outcome="follow")


def _unfollow(incoming: Incoming) -> Reply:
    if incoming.user_id:
        follower = db.session.scalar(select(Follower).where(Follower.line_user_id == incoming.user_id))
        if follower is not None:
            follower.status = "unfollowed"
            follower.last_seen = utcnow()
        notices_forget(incoming.user_id)
    return Reply([], outcome="unfollow")


def _media(incoming: Incoming) -> Reply:
    return Reply([replies.media_guidance(incoming.media_type, knowledge())], outcome="media")


def _unknown(incoming: Incoming) -> Reply:
    log.info("ignoring event kind %r", incoming.kind)
    return Reply([], outcome="ignored")


_HANDLERS = OrderedDict(
    text=_text, postback=_postback, follow=_follow, unfollow=_unfollow, media=_media,
)


def _touch_follower(incoming: Incoming, status: str = "active") -> FollowerState | None:
    """Keep a follower record for one-to-one LINE users and simulated residents; never for groups or rooms."""
    user_id = _resident(incoming)
    if user_id is None:
        return None
    if simulated.is_simulated(user_id):
        return simulated.touch(user_id)
    return touch_follower(user_id, status)


def _resident(incoming: Incoming) -> str | None:
    """Return whose notice settings apply: a one-to-one LINE user, or the simulator's or CLI's simulated resident."""
    if incoming.source_type != "user" or not incoming.user_id:
        return None
    if (incoming.channel == "line") == simulated.is_simulated(incoming.user_id):
        return None  # simulated ids come only from the simulator and the CLI, LINE's own ids only from LINE
    return incoming.user_id


def _hash(incoming: Incoming) -> str:
    if incoming.source_type != "user":
        return ""
    config = current_app.config
    return user_hash(incoming.user_id, config["LOG_HASH_KEY"] or config["SECRET_KEY"])


_TOWN_KEY = "conversation_town"


def _town() -> Town:
    town = g.get(_TOWN_KEY)
    if town is None:
        town = current_town()
        setattr(g, _TOWN_KEY, town)
    return town


def _int(value: str | None) -> int | None:
    """Return a row id from postback data; None unless it is a positive integer the id column can hold."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    # PostgreSQL refuses to compare an integer column with a larger number: the statement would fail.
    return number if number is not None and 0 < number < 2**31 else None
