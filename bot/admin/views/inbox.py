"""The unanswered inbox: add a wording to an entry, start a new entry, or dismiss with a reason."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from bot.admin.auth import staff_required
from bot.admin.blueprint import bp
from bot.admin.forms import AlternateForm, DismissForm
from bot.extensions import db
from bot.inbox import DEFAULT_DAYS, add_as_alternate, dismiss, open_groups, parse_ids
from bot.knowledge.editing import EntryInvalid
from bot.models import Entry

DAY_CHOICES = (7, 30, 90, 180)


def _entry_choices() -> list[SelectChoice]:
    entries = db.session.scalars(select(Entry).where(Entry.archived.is_(False)).order_by(Entry.category, Entry.title))
    return [SelectChoice(e.slug, f"{e.category}｜{e.title}" + ("（下書き）" if e.status != "published" else ""))
            for e in entries]


@bp.get("/inbox")
@staff_required
def inbox():
    """Show unanswered questions grouped by similarity."""
    days = request.args.get("days", type=int) or DEFAULT_DAYS
    days = days if days in DAY_CHOICES else DEFAULT_DAYS
    groups = open_groups(days)
    choices = _entry_choices()
    forms = []
    for group in groups:
        ids = ",".join(map(str, group.ids))
        alt = AlternateForm(formdata=None, ids=ids, question=group.text, entry=group.suggested_slug)
        alt.entry.choices = choices
        forms.append((group, alt, DismissForm(formdata=None, ids=ids)))
    return render_template("admin/inbox.html", forms=forms, days=days, day_choices=DAY_CHOICES)


@bp.post("/inbox/alternate")
@staff_required
def inbox_alternate():
    """Add the question as an alternate wording of an entry, answered from now on."""
    form = AlternateForm()
    form.entry.choices = _entry_choices()
    if not form.validate_on_submit():
        flash("追加できませんでした：" + "、".join(e for errs in form.errors.values() for e in errs), "error")
        return redirect(url_for("admin.inbox"))
    entry = db.session.scalar(select(Entry).where(Entry.slug == form.entry.data))
    if entry is None:
        abort(404)
    try:
        added = add_as_alternate(parse_ids(form.ids.data), entry, form.question.data, current_user.email)
    except EntryInvalid as exc:
        flash("追加できませんでした：" + "、".join(m for ms in exc.errors.values() for m in ms), "error")
        return redirect(url_for("admin.inbox"))
    note = "" if entry.is_answerable else "この回答は下書きのため、公開するまで住民には回答されません。"
    flash((f"「{entry.title}」に想定質問を追加しました。次の質問から回答されます。" if added
           else f"「{entry.title}」にはすでに同じ想定質問があります。対応済みにしました。") + note, "info")
    return redirect(url_for("admin.inbox"))


@bp.post("/inbox/dismiss")
@staff_required
def inbox_dismiss():
    """Close a group as not needing an answer, with a reason."""
    form = DismissForm()
    if form.validate_on_submit():
        closed = dismiss(parse_ids(form.ids.data), form.reason.data, form.note.data or "", current_user.email)
        flash(f"{closed}件を対応不要にしました。", "info")
    else:
        flash("対応不要にできませんでした。理由を選んでください。", "error")
    return redirect(url_for("admin.inbox"))
