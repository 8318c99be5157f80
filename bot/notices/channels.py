"""Check where a notice goes and when it is displayed: channels, facilities and the display period. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Collection

CHANNELS = ("line", "signage", "web")
DISPLAY_CHANNELS = ("signage", "web")
CHANNEL_LABELS = {"line": "LINE", "signage": "サイネージ", "web": "公開ページ"}


@dataclass(frozen=True)
class Placement:
    """The channels a notice goes to, the facilities whose screens show it and its display period (UTC)."""

    channels: tuple[str, ...] = ("line",)
    facility_ids: tuple[int, ...] = ()  # empty: every screen
    display_from: datetime | None = None  # None: from approval
    display_until: datetime | None = None  # None: until taken down


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def problems(placement: Placement, now: datetime, known_facilities: Collection[int],
             send_at: datetime | None = None) -> dict[str, str]:
    """Return field → reason for a placement that cannot be displayed or sent as asked."""
    found: dict[str, str] = {}
    chosen = placement.channels
    unknown = [c for c in chosen if c not in CHANNELS]
    if unknown:
        found["channels"] = "知らない配信先です：" + "、".join(unknown) + "（line / signage / web から選んでください）"
    elif not chosen:
        found["channels"] = "配信先（LINE・サイネージ・公開ページ）を一つ以上選んでください。"
    if placement.facility_ids:
        if "signage" not in chosen:
            found["facilities"] = "施設を選べるのは、配信先にサイネージを選んだときだけです。"
        elif any(f not in known_facilities for f in placement.facility_ids):
            found["facilities"] = "登録されていない施設が選ばれています。施設を選び直してください。"
    displayed = any(c in DISPLAY_CHANNELS for c in chosen)
    start, end = placement.display_from, placement.display_until
    if not displayed and (start or end):
        found["display"] = "表示期間を指定できるのは、サイネージか公開ページを選んだときだけです。"
    # A screen in a public hall must not show an old notice forever because nobody remembered to take it down.
    if "signage" in chosen and end is None:
        found["display_until"] = "サイネージに出すときは、表示の終了日時を入力してください。"
    if end is not None:
        if start is not None and _utc(end) <= _utc(start):
            found["display_until"] = "表示の終了日時は、開始日時より後にしてください。"
        elif _utc(end) <= _utc(now):
            found["display_until"] = "表示の終了日時が過ぎています。これから先の日時にしてください。"
    if send_at is not None and "line" not in chosen and not unknown:
        found["send_at"] = "送信日時は LINE で送るときだけ指定できます。表示は表示期間で決まります。"
    return found
