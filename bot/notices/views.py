"""The console's notice pages under /admin/notices: compose with preview, approve, schedule, report."""
from __future__ import annotations

from datetime import timezone

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from bot.admin.auth import admin_required, staff_required
from bot.admin.blueprint import console_headers
from bot.audit import record
from bot.extensions import db
from bot.models import Entry, Notice, utcnow
from bot.notices import audience, compose, report, topics, workflow
from bot.notices.delivery import notice_message
from bot.notices.forms import ActionForm, NoticeForm, TestSendForm
from bot.notices.schedule import in_quiet_hours, local, local_zone, planned_release
from bot.notices.settings import approval_required, quiet_hours

bp = Blueprint("notices", __name__, url_prefix="/admin/notices", static_folder="static",
               static_url_path="/static")

STATUS_LABELS = {"draft": "下書き", "pending_approval": "承認待ち", "scheduled": "送信予定", "sending": "送信中",
                 "sent": "送信済み", "cancelled": "取り消し"}


# The same protections as the rest of the console: no caching, no framing, scripts only from us.
bp.after_request(console_headers)


@bp.app_context_processor
def _labels():
    return {"notice_status_labels": STATUS_LABELS}


def _notice_or_404(notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        abort(404)
    return notice


def _entries() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Entry.slug, Entry.title).where(
        Entry.status == "published", Entry.archived.is_(False)).order_by(Entry.title))
    return [(slug, title) for slug, title in rows]


def _form(notice: Notice | None = None) -> NoticeForm:
    form = NoticeForm(obj=None)
    form.entry_slug.choices = [SelectChoice("", "（なし）")] + [SelectChoice(s, t) for s, t in _entries()]
    form.topics.choices = [SelectChoice(t.slug, t.name) for t in topics.all_topics()]
    if notice is not None and request.method == "GET":
        form.title.data, form.body.data, form.url.data = notice.title, notice.body, notice.url
        form.entry_slug.data = notice.entry_slug
        form.audience.data = "topics" if notice.topics else "all"
        form.topics.data = list(notice.topics)
        form.timing.data = "at" if notice.send_at else "now"
        form.send_at.data = local(notice.send_at).replace(tzinfo=None) if notice.send_at else None
    return form


def _draft(form: NoticeForm) -> workflow.Draft:
    chosen = tuple(form.topics.data or ()) if form.audience.data == "topics" else ()
    send_at = None
    if form.timing.data == "at" and form.send_at.data:
        send_at = form.send_at.data.replace(tzinfo=local_zone()).astimezone(timezone.utc)
    return workflow.Draft(form.title.data or "", form.body.data or "", (form.url.data or "").strip(),
                          form.entry_slug.data or "", chosen, send_at)


def _save(form: NoticeForm, notice: Notice | None):
    if form.audience.data == "topics" and not form.topics.data:
        form.topics.errors = ["テーマを1つ以上選んでください。"]
        return None
    if form.timing.data == "at" and not form.send_at.data:
        form.send_at.errors = ["日時を入力してください。"]
        return None
    try:
        if notice is None:
            saved = workflow.create(_draft(form), by=current_user.email)
            record(current_user.email, "notice.create", "notice", saved.id, saved.title)
        else:
            saved = workflow.update(notice, _draft(form))
            record(current_user.email, "notice.edit", "notice", saved.id, saved.title)
        db.session.commit()
        return saved
    except workflow.NoticeError as exc:
        for name, reason in exc.problems.items():
            getattr(form, name, form.title).errors = [reason]
        return None


def _compose_page(form: NoticeForm, notice: Notice | None):
    draft = _draft(form)
    preview = compose.message(compose.Content(draft.title or "（タイトル）", draft.body or "（本文）", draft.url,
                                              draft.entry_slug, topics=draft.topics))
    return render_template("notices/compose.html", form=form, notice=notice, preview=preview,
                           count=audience.count(draft.topics) if draft.topics or form.audience.data == "all" else 0,
                           quiet=quiet_hours())


@bp.get("/")
@staff_required
def index():
    """List notices and the follower numbers over time."""
    notices = db.session.scalars(select(Notice).order_by(Notice.id.desc()).limit(100)).all()
    reports = {n.id: report.for_notice(n) for n in notices}
    history = report.follower_history(30)
    peak = max((h["active"] for h in history), default=0) or 1
    return render_template("notices/index.html", notices=notices, reports=reports, history=history, peak=peak,
                           topic_names=topics.names, approval=approval_required(), quiet=quiet_hours())


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    """Compose a notice, with a live LINE preview and recipient count."""
    form = _form()
    if form.validate_on_submit():
        saved = _save(form, None)
        if saved is not None:
            flash("下書きを保存しました。プレビューを確認して、送信の手続きに進んでください。", "info")
            return redirect(url_for("notices.detail", notice_id=saved.id))
    return _compose_page(form, None)


@bp.route("/<int:notice_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(notice_id: int):
    """Edit a draft notice."""
    notice = _notice_or_404(notice_id)
    if notice.status != "draft":
        flash("下書きだけが編集できます。", "error")
        return redirect(url_for("notices.detail", notice_id=notice.id))
    form = _form(notice)
    if form.validate_on_submit():
        if _save(form, notice) is not None:
            flash("保存しました。", "info")
            return redirect(url_for("notices.detail", notice_id=notice.id))
    return _compose_page(form, notice)


@bp.post("/preview")
@staff_required
def preview():
    """Return the bubble, the recipient count and any problems for unsaved compose fields."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    known = {t.slug for t in topics.all_topics()}
    asked = payload.get("topics") if isinstance(payload.get("topics"), list) else []
    chosen = tuple(t for t in asked if isinstance(t, str) and t in known)
    everyone = payload.get("audience") == "all"
    content = compose.Content(
        str(payload.get("title") or "")[:500] or "（タイトル）", str(payload.get("body") or "")[:5000] or "（本文）",
        str(payload.get("url") or "")[:1000], str(payload.get("entry_slug") or "")[:80],
        topics=() if everyone else chosen)
    count = audience.count(()) if everyone else (audience.count(chosen) if chosen else 0)
    return {"message": compose.message(content), "count": count,
            "problems": compose.problems(content, [slug for slug, _ in _entries()])}


@bp.get("/<int:notice_id>")
@staff_required
def detail(notice_id: int):
    """Show a notice: preview, audience, timing, approval, actions and the delivery report."""
    notice = _notice_or_404(notice_id)
    release = planned_release(notice) if notice.status in ("draft", "pending_approval", "scheduled") else None
    return render_template(
        "notices/detail.html", notice=notice, preview=notice_message(notice),
        report=report.for_notice(notice), topic_names=topics.names(notice.topics),
        count=audience.count(notice.topics), release=release,
        postponed=release is not None and in_quiet_hours(notice.send_at or utcnow()),
        approval=approval_required(), quiet=quiet_hours(), action=ActionForm(), test_form=TestSendForm(),
        can_approve=current_user.is_admin and current_user.email not in (notice.created_by, notice.requested_by),
        batches=notice.batches[:50])


def _act(notice_id: int, change, done: str, action: str):
    notice = _notice_or_404(notice_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        change(notice)
    except workflow.NoticeError as exc:
        flash(_japanese(exc), "error")
    else:
        record(current_user.email, action, "notice", notice.id, notice.title)
        db.session.commit()
        flash(done, "info")
    return redirect(url_for("notices.detail", notice_id=notice.id))


def _japanese(exc: workflow.NoticeError) -> str:
    message = str(exc)
    if "two-person" in message:
        return "作成した本人は承認できません。別の管理者が承認してください（二人確認）。"
    return {"only notices waiting for approval can be approved": "承認待ちのお知らせではありません。"}.get(
        message, f"この操作はできません（{message}）。")


@bp.post("/<int:notice_id>/request")
@staff_required
def request_send(notice_id: int):
    """Ask to send a draft: to approval when the two-person rule is on, else straight to the schedule."""
    done = "承認を依頼しました。管理者が承認すると送信されます。" if approval_required() else "送信を予約しました。"
    return _act(notice_id, lambda n: workflow.request_send(n, by=current_user.email), done, "notice.request")


@bp.post("/<int:notice_id>/approve")
@admin_required
def approve(notice_id: int):
    """Approve a notice someone else wrote."""
    return _act(notice_id, lambda n: workflow.approve(n, by=current_user.email),
                "承認しました。送信時刻になると配信されます。", "notice.approve")


@bp.post("/<int:notice_id>/send-back")
@admin_required
def send_back(notice_id: int):
    """Return a notice waiting for approval to its author as a draft."""
    return _act(notice_id, lambda n: workflow.send_back(n, by=current_user.email),
                "下書きに戻しました。", "notice.send_back")


@bp.post("/<int:notice_id>/cancel")
@staff_required
def cancel(notice_id: int):
    """Cancel a notice that has not started going out."""
    return _act(notice_id, lambda n: workflow.cancel(n, by=current_user.email), "取り消しました。", "notice.cancel")


@bp.post("/<int:notice_id>/test")
@staff_required
def test_send(notice_id: int):
    """Push the notice to one staff LINE account."""
    notice = _notice_or_404(notice_id)
    form = TestSendForm()
    if not form.validate_on_submit():
        flash("LINE のユーザーIDを入力してください。", "error")
        return redirect(url_for("notices.detail", notice_id=notice.id))
    try:
        result = workflow.test_send(notice, form.test_user_id.data)
    except workflow.NoticeError as exc:
        flash(next(iter(exc.problems.values()), str(exc)), "error")
        return redirect(url_for("notices.detail", notice_id=notice.id))
    if result.ok:
        record(current_user.email, "notice.test_send", "notice", notice.id, notice.title)
        db.session.commit()
        flash("テスト送信しました。LINE で見た目を確認してください。", "info")
    else:
        flash(f"テスト送信できませんでした（LINE の応答 {result.status or 'なし'}）：{result.error[:200]}", "error")
    return redirect(url_for("notices.detail", notice_id=notice.id))
