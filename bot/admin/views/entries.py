"""Entries: list, create, edit with live preview, history with diff, rollback, archive and restore."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from bot.core.access import staff_required
from bot.core.blueprint import bp
from bot.admin.diff import field_diffs, revision_diffs
from bot.core.inputs import ActionForm
from bot.admin.inputs import EntryForm
from bot.admin.labels import REVISION_REASONS, actor_label
from bot.admin.listing import SORTS, STATUS_FILTERS, EntryFilter, categories, find_entries
from bot.admin.preview import bubble_for
from bot.admin.stats import AUDIENCES, audience
from bot.extensions import db
from bot.inbox import close_for_new_entry, find_group, period
from bot.knowledge.categories import names as category_names
from bot.core.problems import Invalid
from bot.knowledge.editing import EditConflict, rollback_entry, save_entry, set_archived
from bot.models import Entry, EntryRevision, utcnow
from bot.models.timeutil import local_today
from bot.offices.store import all_offices


def _category_choices(form: EntryForm, current: str = "") -> None:
    """Offer the managed categories (and an entry's old one, marked, so the form shows what is stored)."""
    known = category_names()
    choices = [SelectChoice("", "— 選んでください —")] + [SelectChoice(n, n) for n in known]
    if current and current not in known:
        choices.append(SelectChoice(current, f"{current}（一覧にないカテゴリ：選び直してください）"))
    form.category.choices = choices


def _office_choices(form: EntryForm, current: str = "") -> None:
    """Offer the offices (and an entry's unknown one, marked, so the form shows what is stored)."""
    offices = all_offices()
    choices = [SelectChoice("", "— なし（お問い合わせ先の文を表示） —")] + [SelectChoice(o.key, o.name) for o in offices]
    if current and current not in {o.key for o in offices}:
        choices.append(SelectChoice(current, f"{current}（一覧にない担当課：選び直してください）"))
    form.office.choices = choices


def _entry_or_404(entry_id: int) -> Entry:
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        abort(404)
    return entry


@bp.get("/entries")
@staff_required
def entries():
    """List entries with search and filters."""
    args = request.args
    f = EntryFilter(
        q=args.get("q", "")[:200], category=args.get("category", ""), status=args.get("status", ""),
        needs_review=bool(args.get("review")), recent_days=7 if args.get("recent") else 0,
        sort=args.get("sort", "title") if args.get("sort") in SORTS else "title", who=audience(args.get("who")),
    )
    return render_template("admin/entries.html", rows=find_entries(f), f=f, categories=categories(),
                           sorts=SORTS, statuses=STATUS_FILTERS, today=local_today(), audiences=AUDIENCES)


@bp.route("/entries/new", methods=["GET", "POST"])
@staff_required
def entry_new():
    """Create an entry, optionally prefilled from an inbox question."""
    form = EntryForm()
    _category_choices(form)
    _office_choices(form)
    if request.method == "GET":
        form.status.data = "draft"
        form.updated_on.data = local_today()
        question = request.args.get("question", "")[:200]
        if question:
            form.questions.data = question
            form.title.data = question[:40]
        form.inbox_group.data = request.args.get("group", "")[:32]
        form.inbox_days.data = request.args.get("days", "")[:4]
    elif form.validate_on_submit():
        try:
            result = save_entry(None, form.entry_data(), current_user.email)
        except Invalid as exc:
            _attach_errors(form, exc.errors)
        else:
            group = find_group(period(form.inbox_days.data), form.inbox_group.data) if form.inbox_group.data else None
            closed = close_for_new_entry(group, result.entry, current_user.email)
            flash(f"「{result.entry.title}」を作成しました。" + (f"受信箱の{closed}件を対応済みにしました。" if closed else ""),
                  "info")
            return redirect(url_for("admin.entry_edit", entry_id=result.entry.id))
    return render_template("admin/entry_edit.html", form=form, entry=None, preview=bubble_for(form.entry_data()))


@bp.route("/entries/<int:entry_id>", methods=["GET", "POST"])
@staff_required
def entry_edit(entry_id: int):
    """Edit an entry; a save based on an outdated version is refused and the text kept."""
    entry = _entry_or_404(entry_id)
    form = EntryForm()
    _category_choices(form, entry.category)
    _office_choices(form, entry.office)
    conflict: EditConflict | None = None
    if request.method == "GET":
        form.fill(entry.content())
        form.lock_version.data = str(entry.lock_version)
    elif form.validate_on_submit():
        # "Overwrite" after a conflict names the version the editor has now seen.
        expected = _int(form.overwrite_version.data) or _int(form.lock_version.data)
        try:
            result = save_entry(entry, form.entry_data(), current_user.email, expected_version=expected)
        except Invalid as exc:
            _attach_errors(form, exc.errors)
        except EditConflict as exc:
            conflict = exc
            entry = exc.entry
        else:
            flash("保存しました。" + ("住民への回答に反映されました。" if result.entry.is_answerable else "（下書きのため住民には回答されません）")
                  if result.changed else "変更はありませんでした。", "info")
            return redirect(url_for("admin.entry_edit", entry_id=entry.id))
    form.overwrite_version.data = ""
    theirs = None
    if conflict is not None:
        theirs = field_diffs(conflict.entry.content(), {**form.entry_data(), "slug": entry.slug})
    return render_template("admin/entry_edit.html", form=form, entry=entry, conflict=conflict, conflict_diff=theirs,
                           preview=bubble_for(form.entry_data()), action_form=ActionForm())


@bp.post("/entries/preview")
@staff_required
def entry_preview():
    """Return the reply bubble for unsaved form fields, for the live preview."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    fields = {k: str(payload.get(k, ""))[:5000] for k in ("slug", "title", "answer", "url", "office", "contact",
                                                          "source")}
    return {"message": bubble_for(fields)}


@bp.get("/entries/<int:entry_id>/history")
@staff_required
def entry_history(entry_id: int):
    """Show every revision of an entry with what changed."""
    entry = _entry_or_404(entry_id)
    revisions = list(db.session.scalars(
        select(EntryRevision).where(EntryRevision.entry_id == entry.id).order_by(EntryRevision.number)))
    diffs = revision_diffs([(str(r.number), r.data) for r in revisions])
    rows = list(zip(revisions, diffs))[::-1]
    return render_template("admin/entry_history.html", entry=entry, rows=rows, action_form=ActionForm(),
                           reasons=REVISION_REASONS, actor_label=actor_label)


@bp.post("/entries/<int:entry_id>/rollback/<int:number>")
@staff_required
def entry_rollback(entry_id: int, number: int):
    """Restore an earlier revision as the current content."""
    entry = _entry_or_404(entry_id)
    if ActionForm().validate_on_submit():
        try:
            result = rollback_entry(entry, number, current_user.email)
        except LookupError:
            abort(404)
        flash(f"版{number}の内容に戻しました。" if result.changed else f"すでに版{number}と同じ内容です。", "info")
    return redirect(url_for("admin.entry_history", entry_id=entry.id))


@bp.post("/entries/<int:entry_id>/archive")
@staff_required
def entry_archive(entry_id: int):
    """Archive an entry: it stops being answered and keeps its history."""
    return _set_archived(entry_id, True, "アーカイブしました。住民には回答されません。")


@bp.post("/entries/<int:entry_id>/restore")
@staff_required
def entry_restore(entry_id: int):
    """Bring an archived entry back."""
    return _set_archived(entry_id, False, "復元しました。")


def _set_archived(entry_id: int, archived: bool, message: str):
    entry = _entry_or_404(entry_id)
    if ActionForm().validate_on_submit():
        set_archived(entry, archived, current_user.email)
        flash(message, "info")
    return redirect(url_for("admin.entry_edit", entry_id=entry.id))


def _attach_errors(form: EntryForm, errors: dict[str, list[str]]) -> None:
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + messages
        else:
            form.form_errors.extend(messages)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
