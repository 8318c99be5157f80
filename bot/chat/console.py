"""Console views of the オンライン窓口 (窓口担当 and admins): the live list, one chat, replies, templates, settings."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from bot.chat import settings as counter_settings
from bot.chat import store
from bot.chat.inputs import ChatHandlerForm, MemoForm, ReplyForm, SettingsForm, SwitchForm, TemplateForm
from bot.core import audit
from bot.core.access import admin_required, chat_required
from bot.core.blueprint import bp
from bot.core.inputs import ActionForm, attach_errors
from bot.core.problems import Invalid
from bot.extensions import db
from bot.knowledge.index import knowledge
from bot.models import Chat, ChatMessage, User


def _chat(chat_id: int) -> Chat:
    chat = store.get(chat_id)
    if chat is None:
        abort(404, "このチャットは見つかりません（保存期間を過ぎて削除された可能性があります）。")
    return chat


def _list_context() -> dict:
    return {"rows": store.board(), "labels": store.CHAT_LABELS}


@bp.get("/chat")
@chat_required
def chat_list():
    """The counter: open chats first with unread counts and waiting times (updated live), the switch, pushes used."""
    cs = counter_settings.current()
    return render_template("chat/list.html", **_list_context(), counter=cs, switch=SwitchForm(switch=cs.switch),
                           figures=store.figures(), tag=store.board_tag())


@bp.get("/chat/list")
@chat_required
def chat_list_part():
    """The list alone, for the page's polling: 304 when nothing changed since the ETag the page holds."""
    tag = store.board_tag()
    if tag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(render_template("chat/_list.html", **_list_context()), mimetype="text/html")
    response.set_etag(tag)
    return response


def _chat_page(chat: Chat, reply: ReplyForm, memo: MemoForm, status: int = 200):
    # Showing a chat shows personal data: the view is audited, whatever the method or status.
    audit.record(current_user.email, "chat.view", "chat", chat.id, "チャットを閲覧")
    db.session.commit()
    return render_template("chat/chat.html", chat=chat, reply=reply, memo=memo, action=ActionForm(formdata=None),
                           questions=store.recent_questions(chat), templates=store.templates(),
                           answered={slug: e.title for slug, e in knowledge().entries.items()},
                           statuses=store.STATUS_LABELS, labels=store.CHAT_LABELS,
                           tag=_chat_tag(chat)), status


def _chat_tag(chat: Chat) -> str:
    return f"chat{chat.id}-{chat.revision}"


@bp.get("/chat/<int:chat_id>")
@chat_required
def chat_view(chat_id: int):
    """One chat: the resident's messages and photos, replies, the bot's recent answers, memo, assign, end."""
    chat = _chat(chat_id)
    store.seen(chat)
    store.fetch_waiting_photos(chat)
    store.mark_read(chat)
    return _chat_page(chat, ReplyForm(formdata=None), MemoForm(formdata=None, memo=chat.memo))


@bp.get("/chat/<int:chat_id>/messages")
@chat_required
def chat_messages_part(chat_id: int):
    """The messages alone, for the chat page's polling (ETag: the chat's revision)."""
    chat = _chat(chat_id)
    tag = _chat_tag(chat)
    if tag in request.if_none_match:
        response = Response(status=304)
    else:
        store.seen(chat)
        response = Response(render_template("chat/_messages.html", chat=chat, action=ActionForm(formdata=None),
                                            statuses=store.STATUS_LABELS), mimetype="text/html")
        tag = _chat_tag(chat)
    response.set_etag(tag)
    return response


@bp.post("/chat/<int:chat_id>/reply")
@chat_required
def chat_reply(chat_id: int):
    """Send a reply by push; LINE refusing or not answering leaves it 未送信 (with 再送信), never lost."""
    chat = _chat(chat_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        attach_errors(form, {"text": ["送信できませんでした。画面を開き直してから、もう一度お試しください。"]})
        return _chat_page(chat, form, MemoForm(formdata=None, memo=chat.memo), 400)
    try:
        message = store.reply(chat_id, form.text.data or "", current_user.email)
    except Invalid as exc:
        db.session.rollback()
        attach_errors(form, exc.errors)
        return _chat_page(_chat(chat_id), form, MemoForm(formdata=None, memo=chat.memo), 400)
    if message.status == store.SENT:
        flash("返信を送りました。", "info")
    else:
        flash(f"返信は保存しましたが、送れていません（{store.STATUS_LABELS[message.status]}：{message.error}）。"
              "「再送信」で送り直せます。", "error")
    return redirect(url_for("admin.chat_view", chat_id=chat_id))


@bp.post("/chat/<int:chat_id>/resend/<int:message_id>")
@chat_required
def chat_resend(chat_id: int, message_id: int):
    """Send an unsent reply again."""
    _chat(chat_id)
    message = db.session.get(ChatMessage, message_id) if 0 < message_id < 2**31 else None
    if message is None or message.chat_id != chat_id or not ActionForm().validate_on_submit():
        flash("再送信できませんでした。画面を開き直してから、もう一度お試しください。", "error")
        return redirect(url_for("admin.chat_view", chat_id=chat_id))
    try:
        message = store.resend(message_id, current_user.email)
    except Invalid as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("再送信しました。" if message.status == store.SENT else
              f"まだ送れていません（{message.error}）。しばらくしてからもう一度お試しください。",
              "info" if message.status == store.SENT else "error")
    return redirect(url_for("admin.chat_view", chat_id=chat_id))


@bp.post("/chat/<int:chat_id>/assign")
@chat_required
def chat_assign(chat_id: int):
    _chat(chat_id)
    if ActionForm().validate_on_submit():
        store.assign(chat_id, current_user.email)
        flash("このチャットの担当になりました。", "info")
    return redirect(url_for("admin.chat_view", chat_id=chat_id))


@bp.post("/chat/<int:chat_id>/memo")
@chat_required
def chat_memo(chat_id: int):
    chat = _chat(chat_id)
    form = MemoForm()
    if form.validate_on_submit():
        try:
            store.save_memo(chat_id, form.memo.data or "", current_user.email)
        except Invalid as exc:
            db.session.rollback()
            attach_errors(form, exc.errors)
            return _chat_page(_chat(chat_id), ReplyForm(formdata=None), form, 400)
        flash("メモを保存しました。", "info")
    else:
        attach_errors(form, {"memo": ["保存できませんでした。画面を開き直してから、もう一度お試しください。"]})
        return _chat_page(chat, ReplyForm(formdata=None), form, 400)
    return redirect(url_for("admin.chat_view", chat_id=chat_id))


@bp.post("/chat/<int:chat_id>/end")
@chat_required
def chat_end(chat_id: int):
    _chat(chat_id)
    if not ActionForm().validate_on_submit():
        flash("終了できませんでした。画面を開き直してから、もう一度お試しください。", "error")
        return redirect(url_for("admin.chat_view", chat_id=chat_id))
    try:
        notice = store.end_by_staff(chat_id, current_user.email)
    except Invalid as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("チャットを終了しました。これからはボットが答えます。" if notice and notice.status == store.SENT else
              "チャットを終了しました（住民へのお知らせは送れていません）。", "info")
    return redirect(url_for("admin.chat_view", chat_id=chat_id))


@bp.get("/chat/photo/<int:message_id>")
@chat_required
def chat_photo(message_id: int):
    """A resident's photo (EXIF removed), to staff only: never cached, never sniffed, shown inline."""
    message = db.session.get(ChatMessage, message_id) if 0 < message_id < 2**31 else None
    if message is None or message.image is None:
        abort(404)
    return Response(bytes(message.image), mimetype=message.image_type or "application/octet-stream",
                    headers={"Content-Disposition": f'inline; filename="chat-photo-{message.id}"',
                             "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store, private",
                             "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox"})


@bp.post("/chat/switch")
@chat_required
def chat_switch():
    """Open or close the counter by hand (the console's twin of `flask chat open|close`)."""
    form = SwitchForm()
    if form.validate_on_submit():
        try:
            counter_settings.set_switch(form.switch.data or "", current_user.email)
        except Invalid as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(f"窓口を「{counter_settings.SWITCHES[form.switch.data]}」にしました。", "info")
    return redirect(url_for("admin.chat_list"))


@bp.route("/chat/templates", methods=["GET", "POST"])
@chat_required
def chat_templates():
    """定型文: add, change and delete the texts staff pick when replying."""
    form = TemplateForm(formdata=None) if request.method == "GET" else TemplateForm()
    status = 200
    if request.method == "POST":
        raw_id = (form.template_id.data or "").strip()
        template_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and 0 < len(raw_id) < 10 else None
        if not form.validate_on_submit():
            attach_errors(form, {"body": ["保存できませんでした。画面を開き直してから、もう一度お試しください。"]})
            status = 400
        else:
            try:
                store.save_template(form.title.data or "", form.body.data or "", current_user.email, template_id)
            except Invalid as exc:
                db.session.rollback()
                attach_errors(form, exc.errors)
                status = 400
            else:
                flash("定型文を保存しました。", "info")
                return redirect(url_for("admin.chat_templates"))
    return render_template("chat/templates.html", form=form, templates=store.templates(),
                           action=ActionForm(formdata=None)), status


@bp.post("/chat/templates/<int:template_id>/delete")
@chat_required
def chat_template_delete(template_id: int):
    if store.template(template_id) is None:
        abort(404, "この定型文は見つかりません。")
    if ActionForm().validate_on_submit() and store.delete_template(template_id, current_user.email):
        flash("定型文を削除しました。", "info")
    return redirect(url_for("admin.chat_templates"))


@bp.route("/chat/settings", methods=["GET", "POST"])
@admin_required
def chat_settings():
    """町の設定 → オンライン窓口: hours, days, quiet period, push quota, 既読, retention."""
    form = SettingsForm(formdata=None) if request.method == "GET" else SettingsForm()
    status = 200
    if request.method == "GET":
        values = counter_settings.raw_values()
        for key in counter_settings.KEYS:
            if key == "chat_switch":
                continue
            field = getattr(form, key)
            field.data = values[key] == "on" if key == "chat_mark_read" else values[key]
    elif form.validate_on_submit():
        values = {key: (getattr(form, key).data or "") for key in counter_settings.KEYS
                  if key not in ("chat_switch", "chat_mark_read")}
        values["chat_mark_read"] = "on" if form.chat_mark_read.data else "off"
        try:
            changed = counter_settings.save(values, current_user.email)
        except Invalid as exc:
            db.session.rollback()
            attach_errors(form, exc.errors)
            status = 400
        else:
            flash(f"オンライン窓口の設定を保存しました（{len(changed)}項目）。" if changed else "変更はありませんでした。", "info")
            return redirect(url_for("admin.chat_settings"))
    else:
        attach_errors(form, {"chat_hours": ["保存できませんでした。画面を開き直してから、もう一度お試しください。"]})
        status = 400
    return render_template("chat/settings.html", form=form, counter=counter_settings.current()), status


@bp.post("/users/<int:user_id>/chat")
@admin_required
def user_chat(user_id: int):
    """Grant or revoke 窓口担当 (reading and answering residents' chats)."""
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        abort(404)
    form = ChatHandlerForm()
    if form.validate_on_submit():
        after = bool(form.handles_chat.data)
        if store.set_handler(user, after, current_user.email):
            flash(f"{user.email} を窓口担当{'にしました' if after else 'から外しました'}。", "info")
    return redirect(url_for("admin.users"))
