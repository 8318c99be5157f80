"""The plan's KPIs (総合戦略のKPI) as the pack states them, and the actual values staff enter, with their history."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow


class Kpi(TownScoped, db.Model):
    """One KPI of the plan: what is measured, where it started and where it should get to (from kpi.yaml)."""

    __tablename__ = "kpis"
    __table_args__ = (UniqueConstraint("town_id", "key", name="uq_kpis_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(60))
    goal: Mapped[str] = mapped_column(String(40), default="")
    program: Mapped[str] = mapped_column(String(100), default="")
    policy: Mapped[str] = mapped_column(String(100), default="")
    page: Mapped[int] = mapped_column(Integer, default=0)
    measure: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(10), default="")
    kind: Mapped[str] = mapped_column(String(20), default="increase")
    live: Mapped[str] = mapped_column(String(40), default="")
    # {"value": "24" | None, "year": "R4", "text": "２４名"}: the plan's words, and its number where it gives one.
    baseline: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    retired: Mapped[bool] = mapped_column(default=False)  # no longer in the pack: kept with its history, not shown
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    actuals: Mapped[list[KpiActual]] = relationship(back_populates="kpi", order_by="KpiActual.id")

    def content(self) -> dict[str, Any]:
        """Return the pack fields as plain data (what an import compares and an export writes)."""
        return {"key": self.key, "name": self.name, "goal": self.goal, "program": self.program,
                "policy": self.policy, "page": self.page, "measure": self.measure, "unit": self.unit,
                "kind": self.kind, "live": self.live, "baseline": dict(self.baseline or {}),
                "target": dict(self.target or {}), "note": self.note or "", "position": self.position}


class KpiActual(TownScoped, db.Model):
    """One actual value staff entered: its date, where it comes from, who entered it. Never edited; a correction
    is a new row, and a mistaken row is withdrawn (kept, with who and why), so the history stays whole."""

    __tablename__ = "kpi_actuals"

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id"), index=True)
    value: Mapped[str] = mapped_column(String(20))  # canonical decimal text ("38", "12.4"); milestones "1" / "0"
    as_of: Mapped[date] = mapped_column(Date)  # the day the value describes (集計日)
    source: Mapped[str] = mapped_column(String(200))  # 出典: where the number comes from
    note: Mapped[str] = mapped_column(String(500), default="")
    entered_by: Mapped[str] = mapped_column(String(200), default="")
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    withdrawn_by: Mapped[str] = mapped_column(String(200), default="")
    withdrawn_reason: Mapped[str] = mapped_column(String(200), default="")

    kpi: Mapped[Kpi] = relationship(back_populates="actuals")
