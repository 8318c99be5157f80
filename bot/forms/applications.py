"""Staff's work on applications: find, change status and memo, delete on request, and each record's history."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Select, func, select

from bot.core import audit
from bot.core.problems import Invalid
from bot.extensions import db
from bot.forms.describe import display, fields
from bot.matching.normalize import fold
from bot.models import AuditLog, FormSubmission, FormVersion, User
from bot.models.forms import SUBMISSION_STATUSES
from bot.models.timeutil import to_local, town_zone, utcnow

STATUS_LABELS = {"new": "新規", "confirmed": "確認済み", "in_progress": "対応中", "done": "完了", "cancelled": "取消"}
CHANNEL_LABELS = {"web": "ウェブ", "line": "LINE"}
MAX_MEMO = 2000
MAX_QUERY = 100
assert tuple(STATUS_LABELS) == SUBMISSION_STATUSES


def can_see_personal(user: Any) -> bool:
    """Tell whether a staff member may see residents' personal data (admins and 申込み担当)."""
    return bool(getattr(user, "is_authenticated", False) and (user.is_admin or user.handles_applications))


@dataclass
class ApplicationFilter:
    """What staff asked the list for; every value already checked against what it may be."""

    q: str = ""
    form: str = ""
    status: str = ""
    channel: str = ""
    since: date | None = None
    until: date | None = None

    def carried(self) -> dict[str, str]:
        """Return the filter as the hidden fields that carry it to the next page or the export (posted)."""
        out = {"q": self.q, "form": self.form, "status": self.status, "channel": self.channel,
               "since": self.since.isoformat() if self.since else "",
               "until": self.until.isoformat() if self.until else ""}
        return {k: v for k, v in out.items() if v}

    def describe(self) -> dict[str, str]:
        """Return the filter for the audit log (the search text is not stored: it may be a name)."""
        out = {"form": self.form, "status": self.status, "channel": self.channel,
               "since": self.since.isoformat() if self.since else "",
               "until": self.until.isoformat() if self.until else ""}
        if self.q:
            out["search"] = "あり"
        return {k: v for k, v in out.items() if v}


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()[:10])
    except ValueError:
        return None


def parse_filter(args: Any) -> ApplicationFilter:
    """Return the filter from a query string; unknown values are ignored, never an error."""
    status = args.get("status", "")
    channel = args.get("channel", "")
    return ApplicationFilter(
        q=(args.get("q", "") or "")[:MAX_QUERY].strip(), form=(args.get("form", "") or "")[:80],
        status=status if status in STATUS_LABELS else "", channel=channel if channel in CHANNEL_LABELS else "",
        since=_day(args.get("since")), until=_day(args.get("until")))


def jst_text(moment: datetime | None) -> str:
    """Return a stored time as Japan time text (SQLite hands back naive UTC)."""
    if moment is None:
        return ""
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def _start_of(day: date) -> datetime:
    """Return the UTC moment a Japanese calendar day starts (staff think in Japan time)."""
    return datetime.combine(day, time(0), town_zone()).astimezone(timezone.utc)


def _query(f: ApplicationFilter) -> Select:
    query = select(FormSubmission)
    if f.form:
        query = query.where(FormSubmission.form_slug == f.form)
    if f.status:
        query = query.where(FormSubmission.status == f.status)
    if f.channel:
        query = query.where(FormSubmission.channel == f.channel)
    if f.since:
        query = query.where(FormSubmission.created_at >= _start_of(f.since))
    if f.until:
        query = query.where(FormSubmission.created_at < _start_of(f.until + timedelta(days=1)))
    return query


def _haystack(s: FormSubmission) -> str:
    answers = s.answers or {}
    parts = [s.receipt_no, display(answers.get("name")), display(answers.get("kana"))]
    return "\n".join(fold(p) for p in parts if p)


def find(f: ApplicationFilter) -> list[FormSubmission]:
    """Return the submissions matching the filter, newest first."""
    rows = list(db.session.scalars(_query(f).order_by(FormSubmission.created_at.desc(), FormSubmission.id.desc())))
    if f.q:
        # In Python, not SQL: answers are JSON (no portable substring search over it on SQLite and PostgreSQL)
        # and folding finds カナ/かな/全角 variants. Registrations number in the hundreds, so a scan is fine.
        term = fold(f.q)
        rows = [s for s in rows if term and term in _haystack(s)]
    return rows


def status_counts(f: ApplicationFilter | None = None) -> dict[str, int]:
    """Return how many submissions there are per status (counts only: what editors may see)."""
    query = _query(f or ApplicationFilter()).with_only_columns(FormSubmission.status, func.count()).group_by(
        FormSubmission.status)
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for status, n in db.session.execute(query):
        counts[status] = counts.get(status, 0) + n
    return counts


def form_slugs() -> list[tuple[str, str]]:
    """Return (slug, title of its newest version) for every form that has a version."""
    out: dict[str, str] = {}
    for slug, title in db.session.execute(select(FormVersion.slug, FormVersion.title).order_by(
            FormVersion.slug, FormVersion.version)):
        out[slug] = title
    return sorted(out.items())


def answer_rows(submission: FormSubmission) -> list[tuple[str, str]]:
    """Return (label, value) pairs in the order of the form version the resident answered."""
    answers = dict(submission.answers or {})
    rows = []
    for f in fields(submission.version.definition if submission.version else {}):
        rows.append((f.label, display(answers.pop(f.key, None))))
    # Keys the version does not name (should not happen) are still shown, not hidden.
    rows.extend((key, display(value)) for key, value in answers.items())
    return rows


def duplicates_of(submission: FormSubmission) -> list[FormSubmission]:
    """Return the other active applications to the same form with the same e-mail address (重複の可能性)."""
    if not submission.email_key:
        return []
    return list(db.session.scalars(select(FormSubmission).where(
        FormSubmission.form_slug == submission.form_slug, FormSubmission.email_key == submission.email_key,
        FormSubmission.id != submission.id, FormSubmission.status != "cancelled").order_by(FormSubmission.created_at)))


def duplicate_ids(rows: list[FormSubmission]) -> set[int]:
    """Return the ids among rows that share their form and e-mail address with another active application."""
    keys = {r.email_key for r in rows if r.email_key and r.status != "cancelled"}
    if not keys:
        return set()
    # Worked out when shown, not stored: two applications sent at the same moment are flagged all the same.
    shared = set(db.session.execute(select(FormSubmission.form_slug, FormSubmission.email_key).where(
        FormSubmission.email_key.in_(keys), FormSubmission.status != "cancelled").group_by(
        FormSubmission.form_slug, FormSubmission.email_key).having(func.count() > 1)).tuples())
    return {r.id for r in rows if r.status != "cancelled" and (r.form_slug, r.email_key) in shared}


def _actor(user: User) -> str:
    return user.email


def record_list(f: ApplicationFilter, total: int, user: User) -> None:
    """Audit that a staff member saw the list with residents' names (a view of personal data too)."""
    audit.record(_actor(user), "application.list", "application", "",
                 f"申込みの一覧を表示（{total}件）", None, f.describe() or None)
    db.session.commit()


def record_view(submission: FormSubmission, user: User) -> None:
    """Audit that a staff member opened one record's personal data."""
    audit.record(_actor(user), "application.view", "application", submission.receipt_no,
                 f"受付番号 {submission.receipt_no} の申込み内容を表示")
    db.session.commit()


def record_export(f: ApplicationFilter, count: int, user: User) -> None:
    """Audit a download of personal data with the filter that chose it."""
    audit.record(_actor(user), "application.export", "application", "",
                 f"申込みをCSVで書き出し（{count}件）", None, {**f.describe(), "count": count})
    db.session.commit()


def change(submission: FormSubmission, status: str, memo: str, user: User) -> bool:
    """Change a record's status and memo; audit the status before and after, never the memo's text."""
    if status not in STATUS_LABELS:
        raise Invalid("状態を一覧から選んでください", "status")
    memo = (memo or "").replace("\r\n", "\n").strip()
    if len(memo) > MAX_MEMO:
        raise Invalid(f"メモは{MAX_MEMO}文字以内で入力してください（今は{len(memo)}文字）", "memo")
    if "\x00" in memo:
        raise Invalid("メモに使えない文字（NUL）が含まれています", "memo")
    changed = False
    now = utcnow()
    if status != submission.status:
        before = submission.status
        submission.status = status
        if status == "cancelled" and submission.withdrawn_at is None:
            submission.withdrawn_at = now
        audit.record(_actor(user), "application.status", "application", submission.receipt_no,
                     f"受付番号 {submission.receipt_no} の状態を{STATUS_LABELS[status]}に変更",
                     {"application_status": before}, {"application_status": status})
        changed = True
    if memo != (submission.memo or ""):
        submission.memo = memo
        # The memo may hold what a resident said on the phone: the log says only that it changed.
        audit.record(_actor(user), "application.memo", "application", submission.receipt_no,
                     f"受付番号 {submission.receipt_no} のメモを変更")
        changed = True
    if changed:
        submission.updated_at = now
        db.session.commit()
    return changed


def delete(submission: FormSubmission, actor: str, reason: str = "request") -> None:
    """Delete one record and its personal data for good; the audit log keeps only the receipt number."""
    receipt = submission.receipt_no
    db.session.delete(submission)
    summary = f"受付番号 {receipt} を削除" + ("（保存期間の経過）" if reason == "retention" else "")
    audit.record(actor, "application.purge" if reason == "retention" else "application.delete",
                 "application", receipt, summary)
    db.session.commit()


def set_handler(user: User, handles: bool, actor: str) -> bool:
    """Make a staff member 申込み担当 or not, audited, and commit; False when they already were (or were not)."""
    if handles == user.handles_applications:
        return False
    # Checked on every request from the database, so a revoked permission ends at the next click
    # without logging the user out.
    user.handles_applications = handles
    audit.record(actor, "user.applications", "user", user.id,
                 f"{user.email} を申込み担当{'にする' if handles else 'から外す'}",
                 {"handles_applications": not handles}, {"handles_applications": handles})
    db.session.commit()
    return True


def history(submission: FormSubmission) -> list[AuditLog]:
    """Return the audit rows of one record, oldest first."""
    return list(db.session.scalars(select(AuditLog).where(
        AuditLog.target_type == "application", AuditLog.target_id == submission.receipt_no).order_by(AuditLog.id)))


@dataclass
class Page:
    """One page of a list."""

    rows: list = field(default_factory=list)
    page: int = 1
    pages: int = 1
    total: int = 0


def paginate(rows: list, page: int, per_page: int) -> Page:
    """Return one page of rows; a page past the end shows the last one."""
    pages = max((len(rows) + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    return Page(rows[(page - 1) * per_page: page * per_page], page, pages, len(rows))
