"""Booking from LINE: the personal 「施設を予約する」 button, 「予約の確認」, 「予約の取消」 (after a confirmation),
and the push that carries the receipt number, the facility and the time — never a name or anything typed."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from bot.booking import store
from bot.booking.links import make_link
from bot.core.problems import Invalid
from bot.extensions import db
from bot.line import flex, postback
from bot.line.channels import town_gateway
from bot.town.settings import current_town
from bot.line.messages import Message
from bot.line.messages import text as text_message
from bot.models import Booking, Follower
from bot.publicurl import absolute

log = logging.getLogger(__name__)

COMMANDS = ("booking_apply", "booking_status", "booking_cancel")
ACTIONS = ("bk", "bkc", "bkx")  # postbacks: open the booking button, ask to confirm a cancellation, cancel
ENTRY = "facility-reservation"  # the FAQ answer that carries the 「施設を予約する」 button
LABEL = "施設を予約する"


def offered() -> bool:
    """Tell whether this town takes bookings: it has at least one facility."""
    return store.any_facility()


def booking_url(resident: str | None) -> str:
    """Return the booking page's address, with a signed link naming the resident when we know them."""
    follower_id = None
    if resident:
        follower_id = db.session.scalar(select(Follower.id).where(Follower.line_user_id == resident))
    return absolute("/booking" + (f"?t={make_link(follower_id)}" if follower_id is not None else ""))


def button(entry_slug: str, resident: str | None) -> flex.Node | None:
    """Return the 「施設を予約する」 button of the facility-reservation answer, or None (another entry, no facility)."""
    if entry_slug != ENTRY or not offered():
        return None
    return flex.button(flex.uri_action(LABEL, booking_url(resident)), "primary")


def offer(resident: str | None) -> Message:
    if not offered():
        return text_message(f"いまは LINE からの施設予約を受け付けていません。各施設か{current_town().contact}へお問い合わせください。")
    bubble = flex.bubble(
        header=flex.box("vertical", [flex.text("公共施設の予約", "md", weight="bold", wrap=True)]),
        body=flex.box("vertical", [flex.text(
            "下のボタンから、施設・日にち・時間を選んで予約できます。空き状況もわかります。"
            "予約の確認は「予約の確認」、取消しは「予約の取消」と送ってください。", "sm", wrap=True)]),
        footer=flex.box("vertical", [flex.button(flex.uri_action(LABEL, booking_url(resident)), "primary")]),
    )
    return flex.message("公共施設の予約", bubble)


def handle_text(kind: str, resident: str | None) -> list[Message]:
    """Answer 「施設を予約する」「予約の確認」「予約の取消」."""
    if kind == "booking_apply":
        return [offer(resident)]
    rows = store.resident_bookings(resident or "")
    if not rows:
        return [text_message("LINE から予約された、これからの施設予約はありません。\n予約するときは「施設を予約する」と送ってください。")]
    if kind == "booking_status":
        lines = [f"受付番号 {b.receipt_no}\n{store.summary(b)}（{b.people}人）" for b in rows]
        return [text_message("いまの施設予約です。\n\n" + "\n\n".join(lines) +
                             "\n\n取り消すときは「予約の取消」と送ってください。")]
    buttons = [flex.button(flex.postback_action(f"{b.receipt_no}を取り消す", postback.encode("bkc", r=b.receipt_no),
                                                f"{b.receipt_no}を取り消す"), "secondary") for b in rows[:5]]
    bubble = flex.bubble(
        header=flex.box("vertical", [flex.text("どの予約を取り消しますか？", "md", weight="bold", wrap=True)]),
        body=flex.box("vertical", [flex.text("\n\n".join(f"{b.receipt_no}\n{store.summary(b)}" for b in rows[:5]),
                                             "sm", wrap=True)]),
        footer=flex.box("vertical", buttons, "sm"),
    )
    return [flex.message("どの予約を取り消しますか？", bubble)]


def handle_postback(params: dict[str, str], resident: str | None) -> list[Message]:
    """Answer the booking button of the rich menu, the choice of a booking to cancel, and the confirmation."""
    action = params.get("a")
    if action == "bk":
        return [offer(resident)]
    row = store.by_receipt(params.get("r", "")[:20]) if resident else None
    # Only the resident who booked may cancel; anyone else hears the same as "not found".
    if row is None or row.line_user_id != resident:
        return [text_message("取り消す予約が見つかりませんでした。「予約の確認」でいまの予約を確かめてください。")]
    if row.status != "booked":
        return [text_message(f"受付番号 {row.receipt_no} の予約は、すでに取り消されています。")]
    if action == "bkc":
        bubble = flex.bubble(
            header=flex.box("vertical", [flex.text("この予約を取り消しますか？", "md", weight="bold", wrap=True)]),
            body=flex.box("vertical", [flex.text(f"受付番号 {row.receipt_no}\n{store.summary(row)}", "sm", wrap=True)]),
            footer=flex.box("vertical", [flex.button(flex.postback_action(
                "取り消す", postback.encode("bkx", r=row.receipt_no), "予約を取り消す"), "primary")]),
        )
        return [flex.message("この予約を取り消しますか？", bubble)]
    try:
        done = store.cancel(row, "resident", resident=resident)
    except Invalid as exc:
        return [text_message(exc.message)]
    if not done:
        return [text_message(f"受付番号 {row.receipt_no} の予約は、すでに取り消されています。")]
    log.info("booking %s cancelled from LINE", row.receipt_no)
    return [text_message(f"受付番号 {row.receipt_no} の予約を取り消しました。\n{store.summary(row)}")]


SENT, FAILED, SIMULATED, NOT_LINKED = "sent", "failed", "simulated", "none"


def notify_booked(row: Booking) -> str:
    """Push the receipt number, the facility and the time (nothing the resident typed) to who booked."""
    if not row.line_user_id:
        return NOT_LINKED
    from bot.conversation.simulated import is_simulated

    if is_simulated(row.line_user_id):
        return SIMULATED
    body = (f"施設の予約を受け付けました。\n受付番号：{row.receipt_no}\n{store.summary(row)}\n\n"
            "確認は「予約の確認」、取消しは「予約の取消」と送ってください。")
    key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"booking:{row.receipt_no}"))
    result = town_gateway().push(row.line_user_id, [text_message(body)], key)
    if not result.ok and result.status != 409:
        log.warning("booking %s: receipt push failed (status %s)", row.receipt_no, result.status)
        return FAILED
    return SENT
