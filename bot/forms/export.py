"""The applications as CSV for Excel: Japanese headers from the field labels, formula-safe, one version column."""
from __future__ import annotations

from collections.abc import Iterable

from bot import csvsafe
from bot.forms.applications import CHANNEL_LABELS, STATUS_LABELS, jst_text
from bot.forms.describe import display, fields
from bot.models import FormSubmission

FIXED = ["受付番号", "フォーム", "版", "受付日時", "状態", "経路", "取消日時", "メモ"]


def to_csv(submissions: Iterable[FormSubmission]) -> bytes:
    """Return the submissions as one CSV; answer columns follow the newest version's labels, then any others."""
    rows = list(submissions)
    columns: dict[str, str] = {}
    # Newest version first: its labels name the columns; keys only older versions had are added after.
    for s in sorted(rows, key=lambda s: (s.form_slug, -(s.version.version if s.version else 0))):
        for f in fields(s.version.definition if s.version else {}):
            columns.setdefault(f.key, f.label)
    for s in rows:
        for key in (s.answers or {}):
            columns.setdefault(key, key)
    header = FIXED + list(columns.values())
    body = []
    for s in rows:
        answers = s.answers or {}
        body.append([s.receipt_no, s.version.title if s.version else s.form_slug,
                     s.version.version if s.version else "", jst_text(s.created_at),
                     STATUS_LABELS.get(s.status, s.status), CHANNEL_LABELS.get(s.channel, s.channel),
                     jst_text(s.withdrawn_at), s.memo or "",
                     *(display(answers.get(key)) for key in columns)])
    return csvsafe.to_bytes(header, body)
