"""The public form pages: input → confirm → done, and withdrawal through a signed link; no login."""
from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Blueprint, Response, abort, current_app, make_response, redirect, render_template, request, url_for
from flask_wtf.csrf import ValidationError, validate_csrf

from bot.bodylimits import body_limit
from bot.extensions import db
from bot.forms import answers as answer_io
from bot.forms import store
from bot.forms.fields import PREFECTURES, max_length
from bot.forms.links import (TokenError, make_draft, make_withdraw_token, read_draft, read_link_token,
                             read_withdraw_token)
from bot.models import Follower, FormSubmission, FormVersion
from bot.publicurl import external_url

bp = Blueprint("forms", __name__, url_prefix="/forms")
log = logging.getLogger(__name__)

CSRF_MESSAGE = ("ページを開いてから時間がたったため、送信を受け付けられませんでした。入力した内容は残っています。"
                "もう一度ボタンを押してください。")
REPLAYED = ("LINE から開いたこのリンクは、すでに申込みに使われています。LINE と連携せずに申し込む場合は、"
            "このまま「申し込む」を押してください。")
CHANGED = "確認画面の内容と送られた内容が違います。もう一度内容を確かめて「申し込む」を押してください。"
ALREADY = ("この LINE のアカウントでは、この間にすでに登録がされていました。下の内容で登録内容を更新する場合は、"
           "「登録内容を更新する」を押してください。")
NOT_YOURS = ("登録内容を変更するためのリンクの確認ができませんでした（有効期限が切れたか、登録が取り消されています）。"
             "登録は変更していません。受付完了メールのリンクをもう一度開いてください。")
NO_MANAGE = ("登録の確認・変更・取消しのページを開けませんでした。受付完了のメールまたはページにあるリンクを、"
             "もう一度そのまま開いてください。")
# Link tokens travel in a cookie after the first GET: the URLs the access log keeps carry no secret.
LINK_COOKIE = "form_link"
MANAGE_COOKIE = "form_manage"


def _version(slug: str) -> FormVersion:
    if len(slug) > 80:
        abort(404)
    version = store.latest_version(slug)
    if version is None:
        abort(404)
    return version


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _set_cookie(response: Response, name: str, value: str, slug: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path=url_for("forms.page", slug=slug), httponly=True,
                        samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))


def _drop_cookie(response: Response, name: str, slug: str) -> None:
    response.delete_cookie(name, path=url_for("forms.page", slug=slug), httponly=True, samesite="Lax",
                           secure=current_app.config.get("SESSION_COOKIE_SECURE", False))


def _exchange(slug: str, name: str, token: str, target: str, max_age: int | None) -> Response:
    """Keep a link's token in an HttpOnly cookie and send the browser on to the same page without it (303)."""
    response = _no_store(redirect(target, 303))
    if token:
        _set_cookie(response, name, token[:500], slug, max_age)
    return response


def _input(version: FormVersion, values: dict[str, Any], errors: dict[str, str], *, token: str = "",
           notice: str = "", status: int = 200, linked: bool = False, change: FormSubmission | None = None):
    return render_template("forms/input.html", form=version.definition, slug=version.slug, values=values,
                           errors=errors, token=token, notice=notice, linked=linked, prefectures=PREFECTURES,
                           max_length=max_length, name=answer_io.field_name, change=change), status


def _confirm(version: FormVersion, answers: dict[str, Any], *, token: str, nonce: str | None = None,
             notice: str = "", owned: FormSubmission | None = None, change: bool = False, status: int = 200):
    """Show the confirm page. `owned`: the registration this visitor proved is theirs, which sending updates."""
    draft = make_draft({"v": version.id, "n": nonce or secrets.token_hex(16), "t": token,
                        "h": answer_io.digest(answers), "u": owned.receipt_no if owned else "", "m": change})
    return render_template("forms/confirm.html", form=version.definition, slug=version.slug,
                           rows=answer_io.rows(version.definition, answers),
                           hidden=answer_io.hidden(version.definition, answers), draft=draft, token=token,
                           notice=notice, owned=owned, change=change, linked=bool(token) and not change), status


def _manage_link(slug: str, receipt: str, external: bool = False) -> str:
    if external:
        return external_url("forms.manage", slug=slug, w=make_withdraw_token(receipt))
    return url_for("forms.manage", slug=slug, w=make_withdraw_token(receipt))


def _done(version: FormVersion, row: FormSubmission, *, updated: bool = False, told: dict[str, str] | None = None):
    """Show the receipt; `told` says what was really sent (LINE push, mail), None for a repeated post."""
    response = make_response(render_template(
        "forms/done.html", form=version.definition, receipt=row.receipt_no,
        manage=url_for("forms.manage", slug=version.slug), bookmark=_manage_link(version.slug, row.receipt_no),
        updated=updated, told=told or {}))
    # Who just sent it owns it: this browser may manage it until it closes, without a token in any URL.
    _set_cookie(response, MANAGE_COOKIE, make_withdraw_token(row.receipt_no), version.slug)
    _drop_cookie(response, LINK_COOKIE, version.slug)
    return _no_store(response)


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


def _managed(slug: str) -> FormSubmission | None:
    """Return the active registration this browser's management cookie proves is its own, or None."""
    token = request.cookies.get(MANAGE_COOKIE, "")[:500]
    if not token:
        return None
    try:
        receipt = read_withdraw_token(token)
    except TokenError:
        return None
    row = store.by_receipt(receipt)
    if row is None or row.form_slug != slug or row.status not in store.ACTIVE:
        return None
    return row


def _owned(slug: str, line_user: str | None, change: bool) -> FormSubmission | None:
    """Return the registration this visitor proved is theirs: by the management link, or as its LINE user."""
    if change:
        return _managed(slug)
    return store.existing(slug, line_user)


def _too_many():
    return render_template("forms/message.html", title="しばらくお待ちください",
                           message="短い時間に何度も送信されたため、受け付けを一時止めています。10分ほどたってから、"
                                   "もう一度お試しください。"), 429


@bp.get("/<slug>")
def page(slug: str):
    """Show a form's input page; a LINE link's token ties the application to the resident."""
    version = _version(slug)
    if "t" in request.args:
        return _exchange(slug, LINK_COOKIE, request.args.get("t", ""), url_for("forms.page", slug=slug),
                         current_app.config["FORM_LINK_MAX_AGE"])
    if request.args.get("change") == "1":
        row = _managed(slug)
        if row is None:
            return render_template("forms/message.html", form=version.definition, title="変更できませんでした",
                                   message=NO_MANAGE), 403
        return _input(version, dict(row.answers or {}), {}, change=row)
    token = request.cookies.get(LINK_COOKIE, "")[:500]
    link, notice = _link(token, slug)
    response = make_response(_input(version, {}, {}, token=token if link else "", notice=notice,
                                    linked=link is not None))
    if token and link is None:
        _drop_cookie(response, LINK_COOKIE, slug)  # the refusal is said once
    return _no_store(response)


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
        return render_template("forms/done.html", form=version.definition,
                               receipt=store.receipt_for(secrets.token_hex(16), slug), manage="", bookmark="",
                               updated=False, told={})
    answers, errors = answer_io.read(version.definition, request.form)
    step = request.form.get("step", "confirm")
    token = request.form.get("t", "")[:500]
    change = request.form.get("m") == "1"
    changing = _managed(slug) if change else None
    if change and changing is None:
        # A change whose management link is gone (withdrawn, another browser): never a new application by surprise.
        return _input(version, answers, {}, notice=NOT_YOURS, status=403)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return _input(version, answers, {}, token=token, notice=CSRF_MESSAGE, status=400, linked=bool(token),
                      change=changing)
    if step == "edit" or errors:
        return _input(version, answers, errors if step != "edit" else {}, token=token, linked=bool(token),
                      status=200 if step == "edit" else 422, change=changing)
    if step == "submit":
        if not limits["submit"].hit(client):
            return _too_many()
        return _submit(version, answers)
    link, notice = _link("" if change else token, slug)
    token = token if link else ""
    return _confirm(version, answers, token=token, notice=notice, owned=_owned(slug, _line_user(link), change),
                    change=change)


def _submit(version: FormVersion, answers: dict[str, Any]):
    try:
        draft = read_draft(request.form.get("draft", "")[:4000])
    except TokenError as exc:
        return _input(version, answers, {}, token="", notice=exc.message, status=400)
    token = draft.get("t") or ""
    change = draft.get("m") is True
    if draft.get("h") != answer_io.digest(answers):
        return _confirm(version, answers, token=token, notice=CHANGED, status=400)
    answered = db.session.get(FormVersion, draft["v"])
    if answered is None or answered.slug != version.slug:
        return _confirm(version, answers, token=token, notice=CHANGED, status=400)
    receipt = store.receipt_for(draft["n"], version.slug)
    first = store.by_receipt(receipt)
    if first is not None:  # the same confirm step posted again: one record, the same receipt
        return _done(answered, first)
    if change:
        return _change(answered, answers, draft)
    link, notice = _link(token, version.slug)
    line_user = _line_user(link)
    if token and link is None:
        # Refused now (expired, replayed): say so and let the resident send it without the LINE link.
        earlier = store.existing(version.slug, _line_user_from_token(token, version.slug))
        if earlier is not None and earlier.answers == answers:
            return _done(answered, earlier, updated=earlier.receipt_no == draft.get("u"))
        return _confirm(version, answers, token="", notice=notice, status=409)
    owned = store.existing(version.slug, line_user)
    if (owned.receipt_no if owned else "") != (draft.get("u") or ""):
        # A registration appeared (or went) since the confirm page: ask again, never change one unasked.
        return _confirm(version, answers, token=token, nonce=draft["n"], owned=owned,
                        notice=ALREADY if owned else "", status=409)
    via = store.RESIDENT_LINE if line_user else store.RESIDENT_WEB
    try:
        row, created = store.submit(answered, answers, nonce=draft["n"], line_user_id=line_user,
                                    link_nonce=link.nonce if link else None, update=owned, via=via)
    except store.LinkReplayed:
        return _confirm(version, answers, token="", notice=REPLAYED, status=409)
    except store.AlreadyRegistered as exc:
        return _confirm(version, answers, token=token, nonce=draft["n"], owned=exc.row, notice=ALREADY, status=409)
    return _stored(answered, row, created)


def _change(version: FormVersion, answers: dict[str, Any], draft: dict[str, Any]):
    """Update the registration the management link proves is this visitor's (the link's cookie, checked again)."""
    row = _managed(version.slug)
    if row is None or row.receipt_no != draft.get("u"):
        return _input(version, answers, {}, notice=NOT_YOURS, status=403)
    if row.answers == answers and row.form_version_id == version.id:
        return _done(version, row, updated=True)  # the same change posted again
    row, _ = store.submit(version, answers, nonce=draft["n"], line_user_id=None, link_nonce=None, update=row,
                          via=store.RESIDENT_WEB)
    return _stored(version, row, False)


def _stored(version: FormVersion, row: FormSubmission, created: bool):
    """Log, push the receipt to LINE, mail it, and show the done page saying truthfully what was sent."""
    log.info("form %s v%d: submission %s %s", version.slug, version.version, row.receipt_no,
             "stored" if created else "updated")
    from bot.forms import mail
    from bot.forms.line import notify_received

    told = {"line": notify_received(row, updated=not created),
            "mail": mail.send_receipt(row, _manage_link(version.slug, row.receipt_no, external=True),
                                      updated=not created)}
    return _done(version, row, updated=not created, told=told)


def _line_user_from_token(token: str, slug: str) -> str | None:
    """Return the LINE user a signed (possibly used) link names, to recognise a double submit."""
    try:
        return _line_user(read_link_token(token, slug))
    except TokenError:
        return None


def _message(version: FormVersion, title: str, message: str, status: int = 200):
    return render_template("forms/message.html", form=version.definition, title=title, message=message), status


def _active_registration(version: FormVersion, token: str) -> tuple[FormSubmission | None, Any]:
    """Return (the active registration a management token names, None) or (None, the Japanese page saying why not)."""
    try:
        receipt = read_withdraw_token(token)
    except TokenError as exc:
        return None, _message(version, "取消しできませんでした", exc.message, 400)
    row = store.by_receipt(receipt)
    if row is None or row.form_slug != version.slug:
        return None, _message(version, "取消しできませんでした",
                              "この受付番号の登録は見つかりません。すでに削除された可能性があります。", 404)
    if row.status == "cancelled":
        return None, _message(version, "取り消し済みです", f"受付番号 {receipt} の登録は、すでに取り消されています。")
    return row, None


@bp.get("/<slug>/withdraw")
def withdraw_link(slug: str):
    """The management link of receipts sent before it was called manage: the same exchange and page."""
    _version(slug)
    return _exchange(slug, MANAGE_COOKIE, request.args.get("w", ""), url_for("forms.manage", slug=slug), None)


@bp.get("/<slug>/manage")
def manage(slug: str):
    """The resident's own registration, through the signed management link: change it or withdraw it."""
    version = _version(slug)
    if "w" in request.args:
        return _exchange(slug, MANAGE_COOKIE, request.args.get("w", ""), url_for("forms.manage", slug=slug), None)
    token = request.cookies.get(MANAGE_COOKIE, "")[:500]
    if not token:
        return _message(version, "登録の確認・取消し", NO_MANAGE, 400)
    row, refused = _active_registration(version, token)
    if row is None:
        return refused
    receipt = row.receipt_no
    return _no_store(make_response(render_template(
        "forms/withdraw.html", form=version.definition, slug=slug, receipt=receipt, notice="")))


@bp.post("/<slug>/withdraw")
@body_limit("MAX_PUBLIC_FORM_BYTES")
def withdraw(slug: str):
    """Withdraw the registration the management link proves is this visitor's, after a confirmation."""
    version = _version(slug)
    if not current_app.extensions["form_limits"]["post"].hit(request.remote_addr or "-"):
        return _too_many()
    token = (request.form.get("w") or request.cookies.get(MANAGE_COOKIE, ""))[:500]
    row, refused = _active_registration(version, token)
    if row is None:
        return refused
    receipt = row.receipt_no
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return render_template("forms/withdraw.html", form=version.definition, slug=slug, receipt=receipt,
                               notice=CSRF_MESSAGE), 400
    store.withdraw_on_web(row)
    log.info("form %s: submission %s withdrawn on the web", slug, receipt)
    response = make_response(render_template(
        "forms/message.html", form=version.definition, title="登録を取り消しました",
        message=f"受付番号 {receipt} の登録を取り消しました。ご登録ありがとうございました。"))
    _drop_cookie(response, MANAGE_COOKIE, slug)
    return _no_store(response)
