"""The console's notice pages under /admin/notices: compose with preview, approve, schedule, report."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from bot.core.access import admin_required, staff_required
from bot.core.problems import Invalid
from bot.core.blueprint import console_headers
from bot.extensions import db
from bot.line.client import SendResult
from bot.models import Entry, Facility, Notice, TestRecipient, utcnow
from bot.notices import audience, compose, public, report, test_recipients, topics, workflow
from bot.notices.delivery import notice_message
from bot.core.inputs import ActionForm
from bot.notices.inputs import ApproveForm, NoticeForm, RecipientForm, TestSendForm
from bot.notices.schedule import in_quiet_hours, local, local_zone, planned_release
from bot.notices.settings import approval_required, quiet_hours

bp = Blueprint("notices", __name__, url_prefix="/admin/notices", static_folder="static",
               static_url_path="/static")

STATUS_LABELS = {"draft": "下書き", "pending_approval": "承認待ち", "scheduled": "送信予定", "sending": "送信中",
                 "sent": "送信済み", "cancelled": "取り消し"}
BATCH_LABELS = {"pending": "送信待ち", "sending": "送信中", "delivered": "配信済み", "failed": "失敗"}
# The compose page sends this with its channel checkboxes, so that none ticked can be told from an older page.
CHANNELS_MARK = "channels_shown"
# Scheduled times outside these years are typing mistakes, and year 1 or 9999 cannot be converted safely.
MIN_YEAR, MAX_YEAR = 2000, 2999


# The same protections as the rest of the console: no caching, no framing, scripts only from us.
bp.after_request(console_headers)


@bp.app_context_processor
def _labels():
    return {"notice_status_labels": STATUS_LABELS, "display_labels": public.DISPLAY_LABELS,
            "channel_labels": public.CHANNEL_LABELS, "notice_status_label": status_label}


def status_label(notice: Notice) -> str:
    """Return a notice's status as staff read it: one that is only shown, not sent, is 承認済み once approved."""
    if "line" not in (notice.channels or ()) and notice.status in public.APPROVED:
        return "承認済み"
    return STATUS_LABELS[notice.status]


def _notice_or_404(notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        abort(404)
    return notice


def _entries() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Entry.slug, Entry.title).where(
        Entry.status == "published", Entry.archived.is_(False)).order_by(Entry.title))
    return [(slug, title) for slug, title in rows]


def _facilities() -> list[Facility]:
    return list(db.session.scalars(select(Facility).order_by(Facility.name)))


def _form(notice: Notice | None = None) -> NoticeForm:
    form = NoticeForm(obj=None)
    form.entry_slug.choices = [SelectChoice("", "（なし）")] + [SelectChoice(s, t) for s, t in _entries()]
    form.topics.choices = [SelectChoice(t.slug, t.name) for t in topics.all_topics()]
    form.facilities.choices = [SelectChoice(str(f.id), f.name) for f in _facilities()]
    if notice is not None and request.method == "GET":
        form.title.data, form.body.data, form.url.data = notice.title, notice.body, notice.url
        form.entry_slug.data = notice.entry_slug
        form.audience.data = ("supporters" if audience.SUPPORTERS in notice.topics else "topics") if notice.topics else "all"
        form.topics.data = list(notice.topics)
        form.timing.data = "at" if notice.send_at else "now"
        form.send_at.data = local(notice.send_at).replace(tzinfo=None) if notice.send_at else None
        form.channels.data = list(notice.channels or ())
        form.screens.data = "chosen" if notice.signage_facility_ids else "all"
        form.facilities.data = [str(f) for f in notice.signage_facility_ids or ()]
        form.display_from.data = local(notice.display_from).replace(tzinfo=None) if notice.display_from else None
        form.display_until.data = local(notice.display_until).replace(tzinfo=None) if notice.display_until else None
    return form


def _moment(value: datetime | None) -> datetime | None:
    """Return a Tokyo datetime-local value in UTC; raise ValueError for a year no schedule can use."""
    if value is None:
        return None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(value.year)
    return value.replace(tzinfo=local_zone()).astimezone(timezone.utc)


def _facility_ids(form: NoticeForm) -> tuple[int, ...]:
    if "signage" not in (form.channels.data or ()) or form.screens.data != "chosen":
        return ()
    # Anything but a real id becomes 0, which no facility has: the workflow then names the problem in Japanese.
    return tuple(int(v) if v.isascii() and v.isdigit() and len(v) < 10 else 0 for v in form.facilities.data or ())


def _send_at(form: NoticeForm) -> datetime | None:
    """Return the chosen time in UTC; raise ValueError for a year no schedule can use."""
    if form.timing.data != "at" or not form.send_at.data:
        return None
    moment = form.send_at.data
    # Year 1 would overflow on the way to UTC, year 9999 at the next morning after quiet hours.
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValueError(moment.year)
    return moment.replace(tzinfo=local_zone()).astimezone(timezone.utc)


def _draft(form: NoticeForm) -> workflow.Draft:
    chosen = tuple(form.topics.data or ()) if form.audience.data == "topics" else ()
    if form.audience.data == "supporters":
        chosen = (audience.SUPPORTERS,)
    try:
        send_at = _send_at(form)
    except ValueError:
        send_at = None
    shown = any(c in public.DISPLAY_CHANNELS for c in form.channels.data or ())
    try:
        start, end = (_moment(form.display_from.data), _moment(form.display_until.data)) if shown else (None, None)
    except ValueError:
        start = end = None
    return workflow.Draft(form.title.data or "", form.body.data or "", (form.url.data or "").strip(),
                          form.entry_slug.data or "", chosen,
                          # The send time is LINE's: a notice only shown follows its display period.
                          send_at if "line" in (form.channels.data or ()) else None,
                          tuple(form.channels.data or ()), _facility_ids(form), start, end)


def _save(form: NoticeForm, notice: Notice | None):
    if CHANNELS_MARK not in request.form:
        # A compose page opened before channels existed knows only LINE: save it as it meant, not as "no channel".
        form.channels.data = ["line"]
    if form.audience.data == "topics" and not form.topics.data:
        form.topics.errors = ["テーマを1つ以上選ぶか、送る相手を「友だち全員」にしてください。"]
        return None
    if form.timing.data == "at" and not form.send_at.data:
        form.send_at.errors = ["日時を入力してください。"]
        return None
    if "signage" in (form.channels.data or ()) and form.screens.data == "chosen" and not form.facilities.data:
        form.facilities.errors = ["施設を1つ以上選ぶか、「すべての画面」にしてください。"]
        return None
    wrong_year = f"この日時は使えません。{MIN_YEAR}年から{MAX_YEAR}年までの日時を入力してください。"
    for name, check in (("send_at", lambda: _send_at(form)), ("display_from", lambda: _moment(form.display_from.data)),
                        ("display_until", lambda: _moment(form.display_until.data))):
        try:
            check()
        except ValueError:
            getattr(form, name).errors = [wrong_year]
            return None
    try:
        if notice is None:
            return workflow.create(_draft(form), by=current_user.email)
        return workflow.update(notice, _draft(form), by=current_user.email)
    except Invalid as exc:
        fields = {"display": "display_from"}  # a period given without a display channel: shown at its start
        for name, reasons in exc.errors.items():
            getattr(form, fields.get(name, name), form.title).errors = reasons
        return None


def _compose_page(form: NoticeForm, notice: Notice | None):
    draft = _draft(form)
    preview = compose.message(compose.Content(draft.title or "（タイトル）", draft.body or "（本文）", draft.url,
                                              draft.entry_slug, topics=draft.topics))
    return render_template("notices/compose.html", form=form, notice=notice, preview=preview,
                           count=audience.count(draft.topics) if draft.topics or form.audience.data == "all" else 0,
                           quiet=quiet_hours(), facilities=form.facilities.choices)


@bp.get("/")
@staff_required
def index():
    """List notices and the follower numbers over time."""
    notices = db.session.scalars(select(Notice).order_by(Notice.id.desc()).limit(100)).all()
    reports = {n.id: report.for_notice(n) for n in notices}
    history = report.follower_history(30)
    peak = max((h["active"] for h in history), default=0) or 1
    return render_template("notices/index.html", notices=notices, reports=reports, history=history, peak=peak,
                           topic_names=topics.names, approval=approval_required(), quiet=quiet_hours(),
                           display_state=public.display_state, now=utcnow())


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
    if payload.get("audience") == "supporters":
        chosen = (audience.SUPPORTERS,)
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
    open_ = notice.status in ("draft", "pending_approval", "scheduled")
    # A fixed time is shown as planned; "as soon as approved" has no time yet, so no clock that moves on reload.
    release = planned_release(notice) if open_ and notice.send_at else None
    waiting = notice.status == "pending_approval"
    refusal = workflow.approver_problem(notice, current_user.email) if waiting and current_user.is_admin else None
    test_form = TestSendForm()
    test_form.recipient.choices = [SelectChoice(r.id, r.name) for r in test_recipients.all_recipients()]
    return render_template(
        "notices/detail.html", notice=notice, preview=notice_message(notice),
        report=report.for_notice(notice), topic_names=topics.names(notice.topics),
        count=audience.count(notice.topics), release=release,
        postponed=release is not None and in_quiet_hours(notice.send_at),
        approval=approval_required(), quiet=quiet_hours(), action=ActionForm(), test_form=test_form,
        approve_form=ApproveForm(formdata=None, revision=notice.revision),
        can_approve=waiting and current_user.is_admin and refusal is None, refusal=refusal,
        can_withdraw=workflow.may_withdraw(notice, current_user.email),
        can_test=notice.status in workflow.TEST_SENDABLE, tests_left=workflow.test_sends_left(current_user.email),
        batches=notice.batches[:50], batch_labels=BATCH_LABELS, display=public.display_state(notice),
        display_start=public.display_start(notice), can_unpublish=workflow.may_unpublish(notice),
        facility_names=_facility_names(notice))


def _facility_names(notice: Notice) -> list[str]:
    if not notice.signage_facility_ids:
        return []
    names = dict(db.session.execute(select(Facility.id, Facility.name)
                                    .where(Facility.id.in_(notice.signage_facility_ids))).all())
    return [names.get(i, f"（削除された施設 #{i}）") for i in notice.signage_facility_ids]


def _act(notice_id: int, change, done: str, form: FlaskForm | None = None):
    notice = _notice_or_404(notice_id)
    if not (form or ActionForm()).validate_on_submit():
        abort(400)
    try:
        change(notice)
    except Invalid as exc:
        flash(str(exc), "error")
    else:
        flash(done, "info")
    return redirect(url_for("notices.detail", notice_id=notice.id))


@bp.post("/<int:notice_id>/request")
@staff_required
def request_send(notice_id: int):
    """Ask to send a draft: to approval when the two-person rule is on, else straight to the schedule."""
    done = "承認を依頼しました。管理者が承認すると送信されます。" if approval_required() else "送信を予約しました。"
    return _act(notice_id, lambda n: workflow.request_send(n, by=current_user.email), done)


@bp.post("/<int:notice_id>/approve")
@admin_required
def approve(notice_id: int):
    """Approve the revision of a notice the approver saw, if they had no hand in it."""
    notice = _notice_or_404(notice_id)  # none in this town: 404 before the form is read
    form = ApproveForm()
    if not form.validate_on_submit():
        if "csrf_token" not in form.errors:  # a page from before approvals named revisions: make them look again
            flash(workflow.STALE, "error")
            return redirect(url_for("notices.detail", notice_id=notice_id))
        abort(400)
    shown_only = "line" not in (notice.channels or ())
    done = "承認しました。表示期間のあいだ公開します。" if shown_only else "承認しました。送信時刻になると配信されます。"
    return _act(notice_id, lambda n: workflow.approve(n, by=current_user.email, revision=form.revision.data),
                done, form)


@bp.post("/<int:notice_id>/send-back")
@admin_required
def send_back(notice_id: int):
    """Return a notice waiting for approval to its author as a draft (approvers only)."""
    return _act(notice_id, lambda n: workflow.send_back(n, by=current_user.email),
                "下書きに戻しました。")


@bp.post("/<int:notice_id>/withdraw")
@staff_required
def withdraw(notice_id: int):
    """Take one's own approval request back: the notice becomes a draft again."""
    return _act(notice_id, lambda n: workflow.withdraw(n, by=current_user.email),
                "承認の依頼を取り下げました。下書きに戻っています。")


@bp.post("/<int:notice_id>/cancel")
@staff_required
def cancel(notice_id: int):
    """Cancel a notice that has not started going out, or take a sent one off the page, feed and screens."""
    notice = _notice_or_404(notice_id)
    if workflow.may_unpublish(notice):
        return _act(notice_id, lambda n: workflow.cancel(n, by=current_user.email),
                    "掲載を取り下げました。サイネージと公開ページ・フィードから消えます。")
    return _act(notice_id, lambda n: workflow.cancel(n, by=current_user.email), "取り消しました。")


def _test_send_failure(result: SendResult) -> str:
    if result.status is None:
        return "LINE につながりませんでした（ネットワークか LINE 側の障害です）。時間をおいてもう一度お試しください。"
    if result.status in (401, 403):
        return "LINE がこのボットからの送信を受け付けませんでした。チャネルアクセストークンの設定を確認してください。"
    if result.status == 429:
        return "LINE の送信回数の上限に達しました。時間をおいてもう一度お試しください。"
    return (f"LINE が受け付けませんでした（応答 {result.status}）。送り先がこの公式アカウントを友だち追加しているか、"
            "ユーザーIDが正しいか確認してください。")


@bp.post("/<int:notice_id>/test")
@staff_required
def test_send(notice_id: int):
    """Push the notice to one registered staff test recipient."""
    notice = _notice_or_404(notice_id)
    form = TestSendForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        flash("送り先を選んでください。", "error")
        return redirect(url_for("notices.detail", notice_id=notice.id))
    recipient = db.session.get(TestRecipient, form.recipient.data)
    if recipient is None:
        flash("その送り先は登録されていません。管理者にテスト送信先の登録を頼んでください。", "error")
        return redirect(url_for("notices.detail", notice_id=notice.id))
    try:
        result = workflow.test_send(notice, recipient, by=current_user.email)
    except Invalid as exc:
        flash(str(exc), "error")
        return redirect(url_for("notices.detail", notice_id=notice.id))
    if result.ok:
        flash(f"{recipient.name} にテスト送信しました。LINE で見た目を確認してください。", "info")
    else:
        flash("テスト送信できませんでした。" + _test_send_failure(result), "error")
    return redirect(url_for("notices.detail", notice_id=notice.id))


@bp.route("/test-recipients", methods=["GET", "POST"])
@admin_required
def recipients():
    """List and register the staff LINE accounts that notices may be test-sent to."""
    form = RecipientForm()
    if form.validate_on_submit():
        try:
            added = test_recipients.add(form.name.data, form.line_user_id.data, by=current_user.email)
        except Invalid as exc:
            for name, reasons in exc.errors.items():
                getattr(form, name).errors = reasons
        else:
            flash(f"「{added.name}」をテスト送信先に登録しました。", "info")
            return redirect(url_for("notices.recipients"))
    return render_template("notices/recipients.html", form=form, recipients=test_recipients.all_recipients(),
                           action=ActionForm())


@bp.post("/test-recipients/<int:recipient_id>/delete")
@admin_required
def recipient_delete(recipient_id: int):
    """Remove a test recipient."""
    recipient = db.session.get(TestRecipient, recipient_id)
    if recipient is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = recipient.name
    test_recipients.remove(recipient, by=current_user.email)
    flash(f"「{name}」をテスト送信先から外しました。", "info")
    return redirect(url_for("notices.recipients"))
