"""LINE followers of the account: kept only because notices need their ids."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.extensions import db
from bot.models.tenancy import TownScoped
from bot.models.timeutil import utcnow

# The simulator's and the CLI's stand-ins for residents have ids no LINE user can have (bot/conversation/simulated.py).
SIMULATED_PREFIX = "sim-"


class Follower(TownScoped, db.Model):
    """A LINE user who follows the account (active), unfollowed or blocked it, or a simulated resident."""

    __tablename__ = "followers"
    # A simulated id stored without the flag would count as a follower and receive multicasts: refuse it.
    __table_args__ = (
        UniqueConstraint("town_id", "line_user_id", name="uq_followers_line_user_id"),
        CheckConstraint(f"simulated OR line_user_id NOT LIKE '{SIMULATED_PREFIX}%'", name="ck_followers_simulated_ids"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Simulated residents try notice settings in the simulator; they are never counted or sent anything.
    simulated: Mapped[bool] = mapped_column(default=False, server_default=false())
