"""The knowledge room's staff views: entries (list, create, edit with live preview, history with diff, rollback,
archive and restore), categories (admins: add, rename, reorder) and "try it" (what the bot would answer, and why)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from bot.core.access import admin_required, staff_required
from bot.core.problems import Invalid
from bot.core.blueprint import bp
from bot.core.revisions import history as revision_history
from bot.core.inputs import ActionForm, attach_errors
from bot.extensions import db
from bot.inbox.store import create_entry
from bot.knowledge import categories
from bot.knowledge.categories import names as category_names
from bot.knowledge.history import field_diffs, revision_diffs
from bot.knowledge.editing import (
    EditConflict, rename_category, rollback_entry, save_entry, set_archived
)
from bot.knowledge.inputs import CategoryForm, EntryForm, TryForm
from bot.core.labels import REVISION_REASONS, actor_label, reason_label
from bot.knowledge.listing import AUDIENCES, SORTS, STATUS_FILTERS, EntryFilter, audience, find_entries
from bot.knowledge.listing import categories as listed_categories
from bot.knowledge.preview import bubble_for, try_question
from bot.models import Category, Entry
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
    return render_template("knowledge/entries.html", rows=find_entries(f), f=f, categories=listed_categories(),
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
            entry, closed = create_entry(form.entry_data(), current_user.email, days=form.inbox_days.data,
                                         token=form.inbox_group.data or "")
        except Invalid as exc:
            attach_errors(form, exc.errors)
        else:
            flash(f"「{entry.title}」を作成しました。" + (f"受信箱の{closed}件を対応済みにしました。" if closed else ""),
                  "info")
            return redirect(url_for("admin.entry_edit", entry_id=entry.id))
    return render_template("knowledge/entry_edit.html", form=form, entry=None, preview=bubble_for(form.entry_data()))


@bp.route("/entries/<int:entry_id>", methods=["GET", "POST"])
@staff_required
def entry_edit(entry_id: int):
    """Edit an entry; a save based on an outdated version is refused and the text kept."""
    entry = db.get_or_404(Entry, entry_id)
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
            attach_errors(form, exc.errors)
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
    return render_template("knowledge/entry_edit.html", form=form, entry=entry, conflict=conflict, conflict_diff=theirs,
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
    entry = db.get_or_404(Entry, entry_id)
    revisions = revision_history(entry)
    diffs = revision_diffs([(str(r.number), r.data) for r in revisions])
    rows = list(zip(revisions, diffs))[::-1]
    return render_template("knowledge/entry_history.html", entry=entry, rows=rows, action_form=ActionForm(),
                           reasons=REVISION_REASONS, actor_label=actor_label)


@bp.post("/entries/<int:entry_id>/rollback/<int:number>")
@staff_required
def entry_rollback(entry_id: int, number: int):
    """Restore an earlier revision as the current content."""
    entry = db.get_or_404(Entry, entry_id)
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
    entry = db.get_or_404(Entry, entry_id)
    if ActionForm().validate_on_submit():
        set_archived(entry, archived, current_user.email)
        flash(message, "info")
    return redirect(url_for("admin.entry_edit", entry_id=entry.id))



def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# Categories (admins only): the managed list entries choose from — add, rename, reorder.

@bp.get("/categories")
@admin_required
def category_list():
    """Show the categories in menu order with how many entries use each."""
    rows = categories.with_entry_counts()
    forms = [(c, n, CategoryForm(formdata=None, name=c.name, prefix=f"c{c.id}")) for c, n in rows]
    return render_template("knowledge/categories.html", rows=forms, add_form=CategoryForm(formdata=None),
                           action_form=ActionForm())


@bp.post("/categories")
@admin_required
def category_add():
    """Add a category at the end of the menu."""
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = categories.add(form.name.data, current_user.email)
        except Invalid as exc:
            flash(f"追加できませんでした：{exc}", "error")
        else:
            flash(f"カテゴリ「{category.name}」を追加しました。", "info")
    else:
        flash("追加できませんでした：" + "、".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("admin.category_list"))


@bp.post("/categories/<int:category_id>/rename")
@admin_required
def category_rename(category_id: int):
    """Rename a category; its entries move with it."""
    category = db.get_or_404(Category, category_id)
    form = CategoryForm(prefix=f"c{category.id}")
    if form.validate_on_submit():
        old = category.name
        try:
            moved = rename_category(category, form.name.data, current_user.email)
        except Invalid as exc:
            flash(f"変更できませんでした：{exc}", "error")
        else:
            flash(f"「{old}」を「{category.name}」に変更しました（回答{moved}件）。", "info")
    else:
        flash("変更できませんでした：" + "、".join(e for errs in form.errors.values() for e in errs), "error")
    return redirect(url_for("admin.category_list"))


@bp.post("/categories/<int:category_id>/up")
@admin_required
def category_up(category_id: int):
    """Move a category one place up in the menu."""
    return _move(category_id, -1)


@bp.post("/categories/<int:category_id>/down")
@admin_required
def category_down(category_id: int):
    """Move a category one place down in the menu."""
    return _move(category_id, 1)


def _move(category_id: int, step: int):
    category = db.get_or_404(Category, category_id)
    if ActionForm().validate_on_submit():
        categories.move(category, step, current_user.email)
    return redirect(url_for("admin.category_list"))


# "Try it": what the bot would answer to a question, and why.

@bp.get("/try")
@staff_required
def try_it():
    """Show outcome, top candidates with scores and reasons, and the reply itself."""
    form = TryForm(request.args)
    trial = try_question(form.q.data.strip(), bool(form.drafts.data)) if request.args and form.validate() else None
    return render_template("knowledge/try.html", form=form, trial=trial, reason_label=reason_label)
