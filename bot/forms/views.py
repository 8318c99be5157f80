"""The public form pages: input → confirm → done, and withdrawal through a signed link; no login."""
from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_wtf.csrf import ValidationError, validate_csrf

from bot.bodylimits import body_limit
from bot.extensions import db
from bot.forms import answers as answer_io
from bot.forms import store
from bot.forms.fields import PREFECTURES, max_length
from bot.forms.links import (TokenError, make_draft, make_withdraw_token, read_draft, read_link_token,
                             read_withdraw_token)
from bot.models import Follower, FormSubmission, FormVersion

bp = Blueprint("forms", __name__, url_prefix="/forms")
log = logging.getLogger(__name__)

CSRF_MESSAGE = ("ページを開いてから時間がたったため、送信を受け付けられませんでした。入力した内容は残っています。"
                "もう一度ボタンを押してください。")
DUPLICATE_QUESTION = "すでに登録があります。登録内容を更新しますか？"
REPLAYED = ("LINE から開いたこのリンクは、すでに申込みに使われています。LINE と連携せずに申し込む場合は、"
            "このまま「申し込む」を押してください。")
CHANGED = "確認画面の内容と送られた内容が違います。もう一度内容を確かめて「申し込む」を押してください。"


def _version(slug: str) -> FormVersion:
    if len(slug) > 80:
        abort(404)
    version = store.latest_version(slug)
    if version is None:
        abort(404)
    return version


def _input(version: FormVersion, values: dict[str, Any], errors: dict[str, str], *, token: str = "",
           notice: str = "", status: int = 200, linked: bool = False):
    return render_template("forms/input.html", form=version.definition, slug=version.slug, values=values,
                           errors=errors, token=token, notice=notice, linked=linked, prefectures=PREFECTURES,
                           max_length=max_length, name=answer_io.field_name), status


def _confirm(version: FormVersion, answers: dict[str, Any], *, token: str, nonce: str | None = None,
             notice: str = "", duplicate: bool = False, status: int = 200):
    draft = make_draft({"v": version.id, "n": nonce or secrets.token_hex(16), "t": token,
                        "h": answer_io.digest(answers)})
    return render_template("forms/confirm.html", form=version.definition, slug=version.slug,
                           rows=answer_io.rows(version.definition, answers),
                           hidden=answer_io.hidden(version.definition, answers), draft=draft, token=token,
                           notice=notice, duplicate=duplicate, question=DUPLICATE_QUESTION, linked=bool(token)), status


def _done(version: FormVersion, row: FormSubmission, *, linked: bool, updated: bool = False):
    withdraw = url_for("forms.withdraw", slug=version.slug, w=make_withdraw_token(row.receipt_no))
    return render_template("forms/done.html", form=version.definition, slug=version.slug, receipt=row.receipt_no,
                           withdraw=withdraw, linked=linked, updated=updated)


def _link(token: str, slug: str) -> tuple[Any, str]:
    """Return (valid unused link or None, the Japanese notice to show when the token was refused)."""
    if not token:
        return None, ""
    if len(token) > 500:
        return None, "LINE から開いたリンクが正しくありません。このまま申し込めますが、LINE との連携はされません。"
    try:
        link = read_link_token(token, slug)
    except TokenError as exc:
        return None, exc.message
    if store.link_used(link.nonce):
        return None, REPLAYED
    return link, ""


def _line_user(link) -> str | None:
    follower = db.session.get(Follower, link.follower_id) if link is not None else None
    return follower.line_user_id if follower is not None else None


def _too_many():
    return render_template("forms/message.html", title="しばらくお待ちください",
                           message="短い時間に何度も送信されたため、受け付けを一時止めています。10分ほどたってから、"
                                   "もう一度お試しください。"), 429


@bp.get("/<slug>")
def page(slug: str):
    """Show a form's input page; a LINE link's token ties the application to the resident."""
    version = _version(slug)
    token = request.args.get("t", "")
    link, notice = _link(token, slug)
    return _input(version, {}, {}, token=token if link else "", notice=notice, linked=link is not None)


@bp.post("/<slug>")
@body_limit("MAX_PUBLIC_FORM_BYTES")
def post(slug: str):
    """Check the answers and show the confirm page, or store them and show the receipt."""
    version = _version(slug)
    limits = current_app.extensions["form_limits"]
    client = request.remote_addr or "-"
    if not limits["post"].hit(client):
        return _too_many()
    if request.form.get(answer_io.HONEYPOT):
        # A bot: it sees what a person would see, and nothing is stored. The form values are not logged.
        log.info("form %s: honeypot filled, nothing stored", slug)
        return render_template("forms/done.html", form=version.definition, slug=slug,
                               receipt=store.receipt_for(secrets.token_hex(16), slug), withdraw="", linked=False,
                               updated=False)
    answers, errors = answer_io.read(version.definition, request.form)
    step = request.form.get("step", "confirm")
    token = request.form.get("t", "")[:500]
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return _input(version, answers, {}, token=token, notice=CSRF_MESSAGE, status=400, linked=bool(token))
    if step == "edit" or errors:
        return _input(version, answers, errors if step != "edit" else {}, token=token, linked=bool(token),
                      status=200 if step == "edit" else 422)
    if step == "submit":
        if not limits["submit"].hit(client):
            return _too_many()
        return _submit(version, answers)
    link, notice = _link(token, slug)
    token = token if link else ""
    duplicate = store.existing(slug, _line_user(link), store.email_key(str(answers.get("email") or "")))
    return _confirm(version, answers, token=token, notice=notice, duplicate=duplicate is not None)


def _submit(version: FormVersion, answers: dict[str, Any]):
    try:
        draft = read_draft(request.form.get("draft", "")[:4000])
    except TokenError as exc:
        return _input(version, answers, {}, token="", notice=exc.message, status=400)
    token = draft.get("t") or ""
    if draft.get("h") != answer_io.digest(answers):
        return _confirm(version, answers, token=token, notice=CHANGED, status=400)
    answered = db.session.get(FormVersion, draft["v"])
    if answered is None or answered.slug != version.slug:
        return _confirm(version, answers, token=token, notice=CHANGED, status=400)
    receipt = store.receipt_for(draft["n"], version.slug)
    first = store.by_receipt(receipt)
    if first is not None:  # the same confirm step posted again: one record, the same receipt
        return _done(answered, first, linked=bool(first.line_user_id))
    link, notice = _link(token, version.slug)
    line_user = _line_user(link)
    if token and link is None:
        # Refused now (expired, replayed): say so and let the resident send it without the LINE link.
        earlier = store.existing(version.slug, _line_user_from_token(token, version.slug), None)
        if earlier is not None and earlier.answers == answers:
            return _done(answered, earlier, linked=True)
        return _confirm(version, answers, token="", notice=notice, status=409)
    mail_key = store.email_key(str(answers.get("email") or ""))
    duplicate = store.existing(version.slug, line_user, mail_key)
    if duplicate is not None and request.form.get("update") != "1":
        return _confirm(version, answers, token=token, nonce=draft["n"], duplicate=True, status=409)
    try:
        row, created = store.submit(answered, answers, nonce=draft["n"], line_user_id=line_user,
                                    link_nonce=link.nonce if link else None, update=duplicate)
    except store.LinkReplayed:
        return _confirm(version, answers, token="", notice=REPLAYED, status=409)
    log.info("form %s v%d: submission %s %s", answered.slug, answered.version, row.receipt_no,
             "stored" if created else "updated")
    if row.line_user_id:
        from bot.forms.line import notify_received

        notify_received(row, updated=not created)
    return _done(answered, row, linked=bool(row.line_user_id), updated=not created)


def _line_user_from_token(token: str, slug: str) -> str | None:
    """Return the LINE user a signed (possibly used) link names, to recognise a double submit."""
    try:
        return _line_user(read_link_token(token, slug))
    except TokenError:
        return None


@bp.route("/<slug>/withdraw", methods=["GET", "POST"])
@body_limit("MAX_PUBLIC_FORM_BYTES")
def withdraw(slug: str):
    """Withdraw a registration through the signed link on its receipt page, after a confirmation."""
    version = _version(slug)
    token = (request.values.get("w") or "")[:500]
    try:
        receipt = read_withdraw_token(token)
    except TokenError as exc:
        return render_template("forms/message.html", title="取消しできませんでした", message=exc.message), 400
    row = store.by_receipt(receipt)
    if row is None or row.form_slug != slug:
        return render_template("forms/message.html", title="取消しできませんでした",
                               message="この受付番号の登録は見つかりません。すでに削除された可能性があります。"), 404
    if row.status == "cancelled":
        return render_template("forms/message.html", title="取り消し済みです",
                               message=f"受付番号 {receipt} の登録は、すでに取り消されています。")
    if request.method == "POST":
        if not current_app.extensions["form_limits"]["post"].hit(request.remote_addr or "-"):
            return _too_many()
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            return render_template("forms/withdraw.html", form=version.definition, slug=slug, receipt=receipt,
                                   token=token, notice=CSRF_MESSAGE), 400
        store.withdraw(row)
        db.session.commit()
        log.info("form %s: submission %s withdrawn on the web", slug, receipt)
        return render_template("forms/message.html", title="登録を取り消しました",
                               message=f"受付番号 {receipt} の登録を取り消しました。ご登録ありがとうございました。")
    return render_template("forms/withdraw.html", form=version.definition, slug=slug, receipt=receipt, token=token,
                           notice="")
