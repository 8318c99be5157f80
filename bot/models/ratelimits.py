"""Shared request counters: one row per (hashed key, time window), counted by every worker and process."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.extensions import db


class RateLimitCount(db.Model):
    """How many hits one client (or account) made at one door in one fixed window (see bot/core/ratelimit.py)."""

    __tablename__ = "rate_limits"

    # "<door>:<HMAC-SHA256 of the client under SECRET_KEY>": no address or e-mail is stored in clear.
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # Unix seconds, a multiple of the window
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)  # when the row may be deleted
