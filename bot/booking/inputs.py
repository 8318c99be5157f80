"""Console forms of 施設予約: what each staff post reads. The rules (slot, people, name, dates) live in
bot.booking.store, which says in Japanese what is wrong."""
from __future__ import annotations

from wtforms import StringField

from bot.core.inputs import JapaneseForm


class BookingForm(JapaneseForm):
    """A booking taken by phone or at the counter."""

    unit = StringField("部屋・コート")
    day = StringField("利用日")
    code = StringField("開始時刻")
    people = StringField("人数")
    purpose = StringField("利用目的")
    name = StringField("お名前")
    phone = StringField("電話番号")
    channel = StringField("受付方法")
    memo = StringField("メモ")


class DetailForm(JapaneseForm):
    """A booking's status and memo."""

    status = StringField("状態")
    memo = StringField("メモ")


class ClosureForm(JapaneseForm):
    """Days a facility (or one unit) is closed; `step` is preview (list the bookings it hits) or save."""

    unit = StringField("対象")
    first_day = StringField("初日")
    last_day = StringField("最終日")
    reason = StringField("理由")
    step = StringField("手順")


class RetentionForm(JapaneseForm):
    """How long bookings keep the resident's personal data (days after the booking's day); checked in
    bot.booking.retention, which says in Japanese what is wrong."""

    booking_retention_days = StringField("個人情報の保存期間（利用日から何日）",
                                         description="例：365。過ぎた予約は、お名前・電話番号・LINEのID・利用目的・メモを消し、"
                                                     "施設・日時・人数・状態・受付番号だけを残します。")


class ActionForm(JapaneseForm):
    """A button with nothing but the CSRF token (cancel a booking, remove a closure)."""


class HandlerForm(JapaneseForm):
    """Grant or revoke 施設予約担当: the box is sent only when granting."""

    handles_bookings = StringField("施設予約担当")


def values(form: JapaneseForm, limit: int = 300) -> dict[str, str]:
    """Return a form's fields as text, each cut to `limit` (whatever was posted: lists, bytes, nothing)."""
    return {name: str(field.data or "")[:limit] for name, field in form._fields.items() if name != "csrf_token"}
