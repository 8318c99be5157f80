"""Console forms of the offices room: an office (担当課)."""
from __future__ import annotations

from typing import Any

from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from bot.core.inputs import JapaneseForm
from bot.offices.pack import LABELS as OFFICE_LABELS


class OfficeForm(JapaneseForm):
    """Every field of an office (担当課); the rules themselves live in offices.pack."""

    key = StringField(OFFICE_LABELS["key"], validators=[Length(max=200)],
                      description="半角英小文字・数字・ハイフン。例：kosodate-shien（作成後は変更できません）")
    name = StringField(OFFICE_LABELS["name"], validators=[Length(max=500)])
    phone = StringField(OFFICE_LABELS["phone"], validators=[Length(max=100)],
                        description="例：0123-45-6789。空欄の間は、市役所の代表電話か市のホームページを案内します。")
    hours = StringField(OFFICE_LABELS["hours"], validators=[Length(max=1000)], description="例：平日 8:45〜17:15")
    email = StringField(OFFICE_LABELS["email"], validators=[Length(max=1000)], description="任意")
    url = StringField(OFFICE_LABELS["url"], validators=[Length(max=2000)],
                      description="https:// で始まるURL。空欄なら市のホームページを案内します。")
    place = StringField(OFFICE_LABELS["place"], validators=[Length(max=1000)], description="例：市役所1階")
    source = StringField(OFFICE_LABELS["source"], validators=[Length(max=1000)], description="名前が載っている資料と頁")
    review_note = TextAreaField(OFFICE_LABELS["review_note"], validators=[Length(max=5000)])
    lock_version = HiddenField()

    def office_data(self) -> dict[str, Any]:
        """Return the form as office data in the pack's shape."""
        return {name: (getattr(self, name).data or "").replace("\r\n", "\n").strip() for name in OFFICE_LABELS}

    def fill(self, data: dict[str, Any]) -> None:
        """Show office data in the form."""
        for name in OFFICE_LABELS:
            getattr(self, name).data = data.get(name) or ""
