"""Console views for 申込み: the list, one record, export, deletion, the form's settings and 申込み担当."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from bot.core.access import admin_required, applications_required, staff_required
from bot.core.blueprint import bp
from bot.core.limits import limited
from bot.core.problems import Invalid
from bot.extensions import db
from bot.forms import applications as apps
from bot.forms import editing, store
from bot.forms import form_settings as setting_store
from bot.forms.inputs import (
    ApplicationDeleteForm, ApplicationUpdateForm, DefinitionForm, HandlerForm, PaperForm, RetentionForm,
)
from bot.forms.export import to_csv
from bot.models import FormSubmission, FormVersion, User
from bot.models.timeutil import local_stamp
from bot.urlnumbers import page_number

PAGE = 50


def _submission(submission_id: int) -> FormSubmission:
    submission = db.session.get(FormSubmission, submission_id)
    if submission is None:
        abort(404, "この申込みは見つかりません（削除された可能性があります）。")
    return submission


def _filter() -> apps.ApplicationFilter:
    """Return the list's filter: posted (the search text, which may be a name, never goes into a URL that the
    access log keeps), or from a link's query string, where a search text is ignored."""
    if request.method == "POST":
        return apps.parse_filter(request.form)
    return apps.parse_filter({k: v for k, v in request.args.items() if k != "q"})


def _page_asked() -> int:
    if request.method == "POST":
        raw = request.form.get("page", "")
        return min(int(raw), 1_000_000) if raw.isascii() and raw.isdigit() and raw else 1
    return page_number(PAGE)


@bp.route("/applications", methods=["GET", "POST"])
@staff_required
def applications():
    """List applications for 申込み担当 and admins; other staff see the counts per status only."""
    f = _filter()
    personal = apps.can_see_personal(current_user)
    page = None
    if personal:
        page = apps.paginate(apps.find(f), _page_asked(), PAGE)
        if page.rows:
            # The list shows names: that is a view of personal data too.
            apps.record_list(f, page.total, current_user)
    return render_template("forms/console/applications.html", f=f, page=page, personal=personal,
                           duplicates=apps.duplicate_ids(page.rows) if page else set(),
                           counts=apps.status_counts(f), forms=apps.form_slugs(),
                           statuses=apps.STATUS_LABELS, channels=apps.CHANNEL_LABELS, carried=f.carried())


@bp.route("/applications/export.csv", methods=["GET", "POST"])
@applications_required
@limited("console_export")
def application_export():
    """Download the applications the filter chose as CSV for Excel; audited with the filter."""
    f = _filter()
    rows = apps.find(f)
    apps.record_export(f, len(rows), current_user)
    name = f"applications-{local_stamp()}.csv"
    return Response(to_csv(rows), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


def _detail_page(submission: FormSubmission, form: ApplicationUpdateForm, status: int = 200):
    """Render one application with its personal data: the one way to show it, and it always audits the view."""
    # Whatever the method or status (a re-shown form after a bad memo shows the name and e-mail too).
    apps.record_view(submission, current_user)
    return render_template("forms/console/application.html", s=submission, form=form,
                           answers=apps.answer_rows(submission), history=apps.history(submission),
                           channels=apps.CHANNEL_LABELS, duplicates=apps.duplicates_of(submission),
                           delete_form=ApplicationDeleteForm(formdata=None)), status


@bp.route("/applications/<int:submission_id>", methods=["GET", "POST"])
@applications_required
def application_detail(submission_id: int):
    """Show one application with its answers and history; change its status and memo."""
    submission = _submission(submission_id)
    form = ApplicationUpdateForm(obj=submission if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            changed = apps.change(submission, form.status.data, form.memo.data or "", current_user)
        except Invalid as exc:
            form.memo.errors = [*form.memo.errors, exc.message]
        else:
            flash("保存しました。" if changed else "変更はありませんでした。", "info")
            return redirect(url_for("admin.application_detail", submission_id=submission.id))
    return _detail_page(submission, form, 200 if request.method == "GET" else 400)


@bp.post("/applications/<int:submission_id>/delete")
@applications_required
def application_delete(submission_id: int):
    """Delete one record and its personal data on the resident's request."""
    submission = _submission(submission_id)
    form = ApplicationDeleteForm()
    if not form.validate_on_submit() or (form.receipt.data or "").strip().upper() != submission.receipt_no.upper():
        flash("受付番号が一致しないため、削除しませんでした。削除する記録の受付番号を入力してください。", "error")
        return redirect(url_for("admin.application_detail", submission_id=submission.id))
    receipt = submission.receipt_no
    apps.delete(submission, current_user.email)
    flash(f"受付番号 {receipt} の記録を削除しました。元に戻すことはできません。", "info")
    return redirect(url_for("admin.applications"))


def _form_version(slug: str) -> FormVersion:
    version = store.latest_version(slug[:80])
    if version is None:
        abort(404, "このフォームは見つかりません。")
    return version


def _settings_page(version: FormVersion, paper: PaperForm, retention: RetentionForm, status: int = 200):
    return render_template("forms/console/form_settings.html", version=version, paper=paper, retention=retention,
                           setting=setting_store.stored(version.slug)), status


@bp.route("/forms/<slug>/settings", methods=["GET", "POST"])
@applications_required
def form_settings(slug: str):
    """Show a form's settings and save the paper registrations counted in the KPI."""
    version = _form_version(slug)
    setting = setting_store.stored(version.slug)
    paper = PaperForm(obj=setting if request.method == "GET" else None)
    retention = RetentionForm(formdata=None, obj=setting)
    if request.method == "GET":
        if setting is None:
            paper.paper_registrations.data = 0
        return _settings_page(version, paper, retention)
    if not paper.validate_on_submit():
        return _settings_page(version, paper, retention, 400)
    setting_store.save_paper(version, paper.paper_registrations.data, current_user.email)
    flash("保存しました。", "info")
    return redirect(url_for("admin.form_settings", slug=version.slug))


@bp.post("/forms/<slug>/retention")
@admin_required
def form_retention(slug: str):
    """Save how long a form's records are kept (admins only)."""
    version = _form_version(slug)
    retention = RetentionForm()
    if not retention.validate_on_submit():
        setting = setting_store.stored(version.slug)
        return _settings_page(version, PaperForm(formdata=None, obj=setting), retention, 400)
    setting_store.save_retention(version, retention.retention_days.data, current_user.email)
    flash("保存期間を保存しました。", "info")
    return redirect(url_for("admin.form_settings", slug=version.slug))


@bp.post("/users/<int:user_id>/applications")
@admin_required
def user_applications(user_id: int):
    """Grant or revoke 申込み担当 (seeing residents' applications)."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = HandlerForm()
    if form.validate_on_submit():
        after = bool(form.handles_applications.data)
        if apps.set_handler(user, after, current_user.email):
            flash(f"{user.email} を申込み担当{'にしました' if after else 'から外しました'}。", "info")
    return redirect(url_for("admin.users"))


@bp.route("/forms/<slug>/edit", methods=["GET", "POST"])
@admin_required
def form_edit(slug: str):
    """Edit a form's definition as YAML; saving a change makes a new version (old answers keep theirs)."""
    version = _form_version(slug)
    form = DefinitionForm()
    status = 200
    if request.method == "GET":
        form.definition.data = editing.to_yaml(version.definition)
    elif form.validate_on_submit():
        try:
            saved = editing.save(version.slug, form.definition.data, current_user.email)
        except Invalid as exc:
            form.definition.errors = [p.message if p.field == "-" else f"{p.field}：{p.message}" for p in exc.problems]
            status = 400
        else:
            flash(f"第{saved.version}版として保存しました。これからの申込みは新しい版で受け付けます。" if saved
                  else "変更はありませんでした。", "info")
            return redirect(url_for("admin.form_edit", slug=version.slug))
    else:
        status = 400
    return render_template("forms/console/form_edit.html", version=version, form=form), status
