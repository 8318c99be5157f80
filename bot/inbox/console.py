"""The unanswered inbox: add a wording to an entry, start a new entry, or dismiss with a reason."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from bot.core.access import staff_required
from bot.core.labels import OUTCOME_LABELS
from bot.core.blueprint import bp
from bot.core.limits import limited
from bot.core.problems import Invalid
from bot.inbox.inputs import AlternateForm, CheckForm, DismissForm, HandledForm
from bot.inbox.flagged import (
    FLAG_LABELS, check_flagged, checked_flagged, find_flagged, flagged_wordings, open_flagged,
)
from bot.inbox.store import (
    DAY_CHOICES, PER_USER_DAY, add_as_alternate, dismiss, find_group, inbox_page, is_handover,
    mark_handled, needs_confirmation, period, recently_handled,
)
from bot.knowledge.listing import by_reading, live_entries, live_entry
from bot.knowledge.preview import current_candidates, entry_score, suggest_cutoff
from bot.models import Entry


def _page(value) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1


def _back(days: int, page: int = 1, anchor: str | None = None):
    # Every action returns to the period (and page) the clerk was looking at.
    return redirect(url_for("admin.inbox", days=days, page=page if page > 1 else None, _anchor=anchor))


def _live_entries() -> dict[str, Entry]:
    return {e.slug: e for e in by_reading(live_entries())}


def _label(e: Entry) -> str:
    return f"{e.category}｜{e.title}" + ("（下書き）" if e.status != "published" else "")


@bp.get("/inbox")
@staff_required
def inbox():
    """Show 緊急 / 要配慮 messages first, then unanswered questions grouped by similarity, one page at a time."""
    days = period(request.args.get("days"))
    if request.args.get("view") == "checked":
        checked = checked_flagged(days, _page(request.args.get("page")))
        return render_template("inbox/inbox_checked.html", checked=checked, days=days, day_choices=DAY_CHOICES)
    box = inbox_page(days, _page(request.args.get("page")))
    urgent = open_flagged()
    checks = [(item, CheckForm(formdata=None, group=item.token, days=days, page=box.page, last=item.last_id))
              for item in urgent.items]
    # A wording once logged as a safety or crisis message is never offered for FAQ learning.
    unlearnable = flagged_wordings([t for g in box.groups for t in g.variants])
    entries = _live_entries()
    others = [SelectChoice("", "— 選んでください —")] + [SelectChoice(s, _label(e)) for s, e in entries.items()]
    cards = []
    for group in box.groups:
        alt = AlternateForm(formdata=None, group=group.token, days=days, page=box.page, question=group.text)
        alt.other.choices = others
        # A wish to talk to staff needs a call back, not an FAQ answer: no suggestions for it (issue 19 B6).
        handover = is_handover(group)
        candidates = [] if handover else [
            (entries[slug], score) for slug, score in current_candidates(group.text) if slug in entries]
        disliked = [(entries[slug], n) for slug, n in group.disliked.most_common() if slug in entries]
        about = [(entries[slug], n) for slug, n in group.about.most_common() if slug in entries]
        handled = (HandledForm(formdata=None, group=group.token, days=days, page=box.page)
                   if group.outcomes.get("contact") else None)
        cards.append((group, alt, DismissForm(formdata=None, group=group.token, days=days, page=box.page),
                      candidates, disliked, about, not unlearnable.intersection(group.variants), handover, handled))
    return render_template("inbox/inbox.html", cards=cards, box=box, days=days, day_choices=DAY_CHOICES,
                           per_user_day=PER_USER_DAY, cutoff=suggest_cutoff(), outcome_labels=OUTCOME_LABELS,
                           urgent=urgent, checks=checks, flag_labels=FLAG_LABELS, recently_handled=recently_handled())


@bp.post("/inbox/alternate")
@staff_required
@limited("console_inbox")
def inbox_alternate():
    """Add the question as an alternate wording of an entry, asking again when the entry fits it badly."""
    form = AlternateForm()
    days, page = period(form.days.data), _page(form.page.data)
    if not form.validate_on_submit():
        flash("追加できませんでした：" + "、".join(e for errs in form.errors.values() for e in errs), "error")
        return _back(days, page)
    slug = (form.entry.data or "").strip() or (form.other.data or "").strip()
    if not slug:
        flash("追加先の回答を選んでください。当てはまる回答がなければ「新しい回答を作る」か「対応不要にする」を選んでください。",
              "error")
        return _back(days, page)
    entry = live_entry(slug)
    group = find_group(days, form.group.data)
    if entry is None or group is None:
        flash("追加できませんでした：回答が見つからないか、この質問はすでに対応済みです。", "error")
        return _back(days, page)
    score, cutoff = entry_score(form.question.data, entry)
    if needs_confirmation(score, cutoff) and form.confirm.data != "yes":
        return render_template("inbox/inbox_confirm.html", form=form, entry=entry, group=group, score=score,
                               cutoff=cutoff, days=days)
    try:
        added = add_as_alternate(group, entry, form.question.data, current_user.email)
    except Invalid as exc:  # a safety or crisis wording, or a question the entry's rules refuse
        flash("追加できませんでした：" + "、".join(m for ms in exc.errors.values() for m in ms), "error")
        return _back(days, page)
    note = "" if entry.is_answerable else "この回答は下書きのため、公開するまで住民には回答されません。"
    flash((f"「{entry.title}」に想定質問を追加しました。次の質問から回答されます。" if added
           else f"「{entry.title}」にはすでに同じ想定質問があります。対応済みにしました。") + note, "info")
    return _back(days, page)


@bp.post("/inbox/dismiss")
@staff_required
@limited("console_inbox")
def inbox_dismiss():
    """Close a group as not needing an answer, with a reason."""
    form = DismissForm()
    days, page = period(form.days.data), _page(form.page.data)
    if not form.validate_on_submit():
        flash("対応不要にできませんでした。理由を選んでください。", "error")
        return _back(days, page)
    group = find_group(days, form.group.data)
    if group is None:
        flash("この質問はすでに対応済みです。", "info")
        return _back(days, page)
    closed = dismiss(group, form.reason.data, form.note.data or "", current_user.email)
    flash(f"{closed}件を対応不要にしました。", "info")
    return _back(days, page)


@bp.post("/inbox/check")
@staff_required
@limited("console_inbox")
def inbox_check():
    """Mark a 緊急 / 要配慮 message as seen (確認済み): who and when are kept and audited."""
    form = CheckForm()
    days, page = period(form.days.data), _page(form.page.data)
    if not form.validate_on_submit():
        flash("確認済みにできませんでした：" + "、".join(e for errs in form.errors.values() for e in errs), "error")
        return _back(days, page, "flagged")
    item = find_flagged(form.group.data)
    try:
        last = int(form.last.data)
    except ValueError:
        last = 0
    if item is None or not 0 < last < 2**63:
        flash("このメッセージはすでに確認済みか、見つかりません。", "info")
        return _back(days, page, "flagged")
    checked = check_flagged(item, last, form.note.data or "", current_user.email)
    flash(f"{item.label}のメッセージ{checked}件を確認済みにしました。「確認済み」の一覧でいつでも見られます。", "info")
    return _back(days, page, "flagged")


@bp.post("/inbox/handled")
@staff_required
@limited("console_inbox")
def inbox_handled():
    """Mark a group's wishes to talk to staff as 対応済み（折り返し済み）; who and when go to the audit log."""
    form = HandledForm()
    days, page = period(form.days.data), _page(form.page.data)
    if not form.validate_on_submit():
        flash("対応済みにできませんでした：" + "、".join(e for errs in form.errors.values() for e in errs), "error")
        return _back(days, page)
    group = find_group(days, form.group.data)
    if group is None or not group.outcomes.get("contact"):
        flash("この職員対応の希望はすでに対応済みです。", "info")
        return _back(days, page)
    closed = mark_handled(group, form.note.data or "", current_user.email)
    flash(f"職員対応の希望{closed}件を対応済み（折り返し済み）にしました。", "info")
    return _back(days, page)
