"""Booking public facilities (施設予約): the facilities and their bookable units, closures, and the bookings.

Double booking is refused by the database itself: a unit's slot start is unique while a booking holds it (the
column is NULL once cancelled, and NULLs never collide), on SQLite and PostgreSQL alike; on PostgreSQL an exclusion
constraint (migration 0033, btree_gist) also refuses any two live bookings of one unit whose times overlap.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow


class BookingFacility(TownScoped, db.Model):
    """A public facility residents may book (体育館, 公民館…), with its opening hours and booking rules."""

    __tablename__ = "booking_facilities"
    __table_args__ = (UniqueConstraint("town_id", "key", name="uq_booking_facilities_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    fee_text: Mapped[str] = mapped_column(String(500), default="")  # how much and how to pay (no payment here)
    note: Mapped[str] = mapped_column(Text, default="")
    open_days: Mapped[list[int]] = mapped_column(JSON, default=list)  # weekdays it opens: 0 = Monday … 6 = Sunday
    opens: Mapped[str] = mapped_column(String(5), default="09:00")  # local time
    closes: Mapped[str] = mapped_column(String(5), default="21:00")
    closed_on_holidays: Mapped[bool] = mapped_column(default=True)  # 祝日は休館
    slot_minutes: Mapped[int] = mapped_column(Integer, default=60)
    days_ahead: Mapped[int] = mapped_column(Integer, default=30)  # how far ahead a resident may book
    deadline_days: Mapped[int] = mapped_column(Integer, default=1)  # book and cancel until N days before (0: same day)
    max_per_resident: Mapped[int] = mapped_column(Integer, default=2)  # live future bookings per resident
    retired: Mapped[bool] = mapped_column(default=False)  # gone from the pack: kept with its bookings, not offered
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    units: Mapped[list[BookingUnit]] = relationship(back_populates="facility", order_by="BookingUnit.position")

    def content(self) -> dict[str, Any]:
        """Return the pack fields as plain data (what an import compares and an export writes)."""
        return {"key": self.key, "name": self.name, "address": self.address, "phone": self.phone,
                "fee_text": self.fee_text, "note": self.note, "open_days": list(self.open_days or []),
                "opens": self.opens, "closes": self.closes, "closed_on_holidays": self.closed_on_holidays,
                "slot_minutes": self.slot_minutes, "days_ahead": self.days_ahead, "deadline_days": self.deadline_days,
                "max_per_resident": self.max_per_resident,
                "units": [{"key": u.key, "name": u.name, "capacity": u.capacity} for u in self.units if not u.retired]}


class BookingUnit(TownScoped, db.Model):
    """One bookable part of a facility: a room, a court, a hall."""

    __tablename__ = "booking_units"
    __table_args__ = (UniqueConstraint("town_id", "facility_id", "key", name="uq_booking_units_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("booking_facilities.id"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(80))
    capacity: Mapped[int] = mapped_column(Integer, default=10)  # most people at once
    retired: Mapped[bool] = mapped_column(default=False)

    facility: Mapped[BookingFacility] = relationship(back_populates="units")


class BookingClosure(TownScoped, db.Model):
    """Days a facility (or one of its units) is closed beyond its usual hours: 臨時休館, 点検, 行事."""

    __tablename__ = "booking_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("booking_facilities.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("booking_units.id"), nullable=True)  # None: every unit
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Booking(TownScoped, db.Model):
    """One booking of a unit for a time: from LINE, or taken by staff on the phone or at the counter."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("town_id", "receipt_no", name="uq_bookings_receipt_no"),
        # The slot a live booking holds: NULL once cancelled, so a freed slot can be booked again.
        UniqueConstraint("town_id", "unit_id", "slot_start", name="uq_bookings_slot"),
        Index("ix_bookings_reminder", "reminder_state", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(20))
    facility_id: Mapped[int] = mapped_column(ForeignKey("booking_facilities.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("booking_units.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    slot_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="booked")  # booked | used | no_show | cancelled
    people: Mapped[int] = mapped_column(Integer, default=1)
    purpose: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(100), default="")  # personal: admins and 施設予約担当 only
    phone: Mapped[str] = mapped_column(String(40), default="")  # personal
    line_user_id: Mapped[str] = mapped_column(String(64), default="", index=True)  # personal; "" when not from LINE
    channel: Mapped[str] = mapped_column(String(20), default="line")  # line | phone | counter
    memo: Mapped[str] = mapped_column(String(1000), default="")  # staff only
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancelled_by: Mapped[str] = mapped_column(String(254), default="")
    # The reminder the day before: pending → sending (claimed) → sent | skipped. The retry key is the same on
    # every try, so a worker that crashed after LINE accepted the push is answered 409 on the retry, not delivered.
    reminder_state: Mapped[str] = mapped_column(String(20), default="pending")
    reminder_key: Mapped[str] = mapped_column(String(36))
    reminder_claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reminder_attempts: Mapped[int] = mapped_column(Integer, default=0)

    facility: Mapped[BookingFacility] = relationship()
    unit: Mapped[BookingUnit] = relationship()
