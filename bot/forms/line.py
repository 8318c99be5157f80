"""Forms from LINE: the personal 「応援団に登録する」 button, the receipt push, own registration and withdrawal."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from bot.extensions import db
from bot.forms import catalog, store
from bot.forms.links import make_link_token
from bot.line import flex, postback
from bot.line.channels import town_gateway
from bot.line.limits import clip
from bot.line.messages import Chip, Message, quick_reply
from bot.line.messages import text as text_message
from bot.models import Follower, FormSubmission
from bot.publicurl import absolute

log = logging.getLogger(__name__)

# The form the LINE commands (「応援団の登録内容」「応援団をやめる」) are about.
COMMAND_FORM = "supporters-club"
FORM_COMMANDS = ("form_apply", "form_status", "form_withdraw")
ACTIONS = ("form", "fwd")  # postbacks: open a form's button (rich menu), confirm a withdrawal


def offers(entry_slug: str) -> bool:
    """Tell whether an FAQ entry offers a form: the form with the entry's own slug."""
    return entry_slug in catalog.buttons()


def form_url(slug: str, resident: str | None, base: str | None = None) -> str:
    """Return the form's address for a resident: with a signed, expiring link token when we know the follower."""
    follower_id = None
    if resident:
        follower_id = db.session.scalar(select(Follower.id).where(Follower.line_user_id == resident))
    path = f"/forms/{slug}"
    if follower_id is not None:
        path += "?t=" + make_link_token(follower_id, slug)
    return absolute(path, base)


def button(slug: str, resident: str | None, base: str | None = None) -> flex.Node | None:
    """Return the URI button that opens a form, or None when there is no such form."""
    label = catalog.buttons().get(slug)
    if label is None:
        return None
    return flex.button(flex.uri_action(label, form_url(slug, resident, base)), "primary")


def offer(slug: str, resident: str | None, chips: list[Chip] | None = None) -> Message | None:
    """Return a small bubble with the form's button, or None when there is no such form."""
    node = button(slug, resident)
    if node is None:
        return None
    version = store.latest_version(slug)
    title = version.title if version else slug
    bubble = flex.bubble(
        header=flex.box("vertical", [flex.text(clip(title, 100), "md", weight="bold", wrap=True)]),
        body=flex.box("vertical", [flex.text(
            "下のボタンから申込みページを開けます。入力した内容は市のサーバーにだけ保存され、LINE のトークには残りません。",
            "sm", wrap=True)]),
        footer=flex.box("vertical", [node]),
    )
    return flex.message(f"{title}：申込みページ", bubble, quick_reply(chips or []))


# What notify_received did, for the done page to say truthfully.
SENT, FAILED, SIMULATED, NOT_LINKED = "sent", "failed", "simulated", "none"


def notify_received(row: FormSubmission, *, updated: bool) -> str:
    """Push the receipt number (and nothing the resident entered) to the LINE user the application is tied to.

    Returns SENT, FAILED, SIMULATED (the simulator's resident: LINE is never called) or NOT_LINKED.
    """
    if not row.line_user_id:
        return NOT_LINKED
    from bot.conversation.simulated import is_simulated

    if is_simulated(row.line_user_id):
        # The simulator's stand-in has no LINE account: a push would be refused at best, and is never made.
        log.info("form %s: submission %s is a simulated resident's, no LINE push", row.form_slug, row.receipt_no)
        return SIMULATED
    title = row.version.title if row.version else row.form_slug
    what = "登録内容の更新" if updated else "申込み"
    body = (f"「{title}」の{what}を受け付けました。\n受付番号：{row.receipt_no}\n\n"
            "登録内容の確認は「応援団の登録内容」、取消しは「応援団をやめる」と送ってください。")
    # One key per receipt and moment: a retry of this push is not delivered twice, a later update is.
    key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"form-receipt:{row.receipt_no}:{row.updated_at.isoformat()}"))
    result = town_gateway().push(row.line_user_id, [text_message(body)], key)
    if not result.ok:
        log.warning("form %s: receipt push for submission %s failed (status %s)", row.form_slug, row.receipt_no,
                    result.status)
        return FAILED
    return SENT


def _own(resident: str | None, slug: str = COMMAND_FORM) -> FormSubmission | None:
    return store.existing(slug, resident) if resident else None


def handle_text(kind: str, resident: str | None) -> list[Message]:
    """Answer 「応援団に登録する」「応援団の登録内容」「応援団をやめる」 for one resident."""
    if kind == "form_apply":
        message = offer(COMMAND_FORM, resident)
        return [message] if message else [text_message("いまは申込みを受け付けていません。")]
    row = _own(resident)
    if row is None:
        message = offer(COMMAND_FORM, resident)
        note = text_message("LINE から申し込まれた応援団の登録は見つかりませんでした。"
                            "LINE と連携せずに申し込んだ方は、受付完了のメールかページにある「登録の確認・変更・取消し」のリンクから確認・変更・取消しができます。")
        return [note] + ([message] if message else [])
    when = _date(row)
    if kind == "form_status":
        return [text_message(f"応援団の登録があります。\n受付番号：{row.receipt_no}\n登録日：{when}\n\n"
                             "登録内容を変えるときは「応援団に登録する」からもう一度申し込んでください（前の登録が更新されます）。"
                             "やめるときは「応援団をやめる」と送ってください。")]
    bubble = flex.bubble(
        header=flex.box("vertical", [flex.text("応援団の登録をやめますか？", "md", weight="bold", wrap=True)]),
        body=flex.box("vertical", [flex.text(f"受付番号 {row.receipt_no}（{when} 登録）の登録を取り消します。", "sm",
                                             wrap=True)]),
        footer=flex.box("vertical", [flex.button(flex.postback_action(
            "登録をやめる", postback.encode("fwd", r=row.receipt_no), "登録をやめる"), "primary")]),
    )
    return [flex.message("応援団の登録をやめますか？", bubble)]


def handle_postback(params: dict[str, str], resident: str | None) -> list[Message]:
    """Answer a rich-menu tap that opens a form, or the confirmation of a withdrawal."""
    if params.get("a") == "form":
        message = offer(params.get("f") or COMMAND_FORM, resident)
        return [message] if message else [text_message("いまは申込みを受け付けていません。")]
    row = store.by_receipt(params.get("r", "")[:20]) if resident else None
    # Only the resident the registration is tied to can withdraw it; anyone else hears the same as "not found".
    if row is None or row.line_user_id != resident:
        return [text_message("取り消す登録が見つかりませんでした。")]
    if not store.withdraw(row, via=store.RESIDENT_LINE):
        return [text_message(f"受付番号 {row.receipt_no} の登録は、すでに取り消されています。")]
    log.info("form %s: submission %s withdrawn from LINE", row.form_slug, row.receipt_no)
    return [text_message(f"受付番号 {row.receipt_no} の登録を取り消しました。これまでのご登録ありがとうございました。")]


def _date(row: FormSubmission) -> str:
    from bot.models.timeutil import to_local

    at = to_local(row.created_at)
    return f"{at.year}年{at.month}月{at.day}日"
