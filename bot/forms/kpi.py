"""The forms' KPI for the overview: registrations so far against the plan's target, per month and breakdowns."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select

from bot.core.tenancy import keyed
from bot.extensions import db
from bot.forms.describe import Kpi, kpi as kpi_of
from bot.models import FormSetting, FormSubmission, FormVersion
from bot.models.timeutil import to_local, utcnow

MONTHS = 12


@dataclass
class FormKpi:
    """One form's KPI as the overview shows it; counts only, no personal data."""

    slug: str
    title: str
    kpi: Kpi
    paper: int
    online: int
    months: list[tuple[str, int]] = field(default_factory=list)
    relations: list[tuple[str, int]] = field(default_factory=list)
    prefectures: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.paper + self.online

    @property
    def percent(self) -> int:
        """Return progress to the target in whole percent, at most 100 (the bar's width)."""
        return min(100, round(100 * self.total / self.kpi.target)) if self.kpi.target else 0


def _newest_versions() -> dict[str, FormVersion]:
    newest: dict[str, FormVersion] = {}
    for v in db.session.scalars(select(FormVersion).order_by(FormVersion.slug, FormVersion.version)):
        newest[v.slug] = v
    return newest


def _month(moment: datetime) -> tuple[int, int]:
    local = to_local(moment)
    return local.year, local.month


def _last_months(now: datetime, n: int) -> list[tuple[int, int]]:
    year, month = _month(now)
    out = []
    for _ in range(n):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _counted(values) -> list[tuple[str, int]]:
    counter: Counter[str] = Counter()
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if item not in (None, ""):
                counter[str(item)] += 1
    return counter.most_common()


def form_kpis(now: datetime | None = None) -> list[FormKpi]:
    """Return the KPI of every form whose newest version defines one."""
    now = now or utcnow()
    out = []
    for slug, version in _newest_versions().items():
        target = kpi_of(version.definition)
        if target is None:
            continue
        setting = keyed(FormSetting, slug)
        # Withdrawn and cancelled records are not registrations.
        rows = db.session.execute(select(FormSubmission.created_at, FormSubmission.answers).where(
            FormSubmission.form_slug == slug, FormSubmission.status != "cancelled")).all()
        per_month = Counter(_month(created) for created, _ in rows)
        months = [(f"{y}年{m}月" if m == 1 or i == 0 else f"{m}月", per_month.get((y, m), 0))
                  for i, (y, m) in enumerate(_last_months(now, MONTHS))]
        out.append(FormKpi(
            slug, version.title, target, setting.paper_registrations if setting else 0, len(rows), months,
            _counted((answers or {}).get("relation") for _, answers in rows),
            _counted((answers or {}).get("prefecture") for _, answers in rows)))
    return out


def registrations(slug: str) -> int | None:
    """Return a form's registrations so far (paper + online, cancelled ones left out); None when nothing has been
    recorded yet (no such form, no paper count entered and no application), so a board says 未入力, not 0."""
    if slug not in _newest_versions():
        return None
    setting = keyed(FormSetting, slug)
    online = db.session.scalar(select(db.func.count(FormSubmission.id)).where(
        FormSubmission.form_slug == slug, FormSubmission.status != "cancelled")) or 0
    if setting is None and not online:
        return None
    return (setting.paper_registrations if setting else 0) + online


def context(user) -> dict:
    """Return what the overview's KPI include needs: the KPIs, the chart helpers and who may enter paper counts."""
    from bot.forms import charts
    from bot.forms.applications import can_see_personal

    return {"form_kpis": form_kpis(), "charts": charts, "can_edit_paper": can_see_personal(user)}
