"""Console forms of the shelters room: a shelter's fields, and one status button."""
from __future__ import annotations

from typing import Any

from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length

from bot.models.shelters import SHELTER_FIELDS, STATUSES
from bot.shelters.pack import KINDS, LABELS
from bot.core.inputs import JapaneseForm


class ShelterForm(JapaneseForm):
    """Every pack field of a shelter; the rules themselves live in shelters.pack (check_shelter)."""

    key = StringField(LABELS["key"], validators=[Length(max=200, message="200文字以内で入力してください")],
                      description="半角英小文字・数字・ハイフン。例：shimin-kaikan（作成後は変更できません）")
    name = StringField(LABELS["name"], validators=[Length(max=500, message="500文字以内で入力してください")])
    address = StringField(LABELS["address"], validators=[Length(max=1000, message="1000文字以内で入力してください")],
                          description="住民への返信と、サイネージの画面に出ます。")
    kinds = SelectMultipleField(LABELS["kinds"], choices=[SelectChoice(k, v) for k, v in KINDS.items()], validate_choice=False,
                                widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
                                description="指定緊急避難場所として対応する災害（内閣府の区分）。")
    capacity = StringField(LABELS["capacity"], validators=[Length(max=20, message="数字で入力してください")],
                           description="人数。わからなければ空欄のままにしてください。")
    note = TextAreaField(LABELS["note"], validators=[Length(max=5000, message="5000文字以内で入力してください")],
                         description="住民への返信に出ます。例：ペットは屋外のケージへ")
    source = StringField(LABELS["source"], validators=[Length(max=1000, message="1000文字以内で入力してください")],
                         description="この避難所が載っている資料（地域防災計画など）")
    review_note = TextAreaField(LABELS["review_note"], validators=[Length(max=5000, message="5000文字以内で入力してください")])
    lock_version = HiddenField()

    def shelter_data(self) -> dict[str, Any]:
        """Return the form as shelter data in the pack's shape (the service checks it)."""
        data: dict[str, Any] = {name: (getattr(self, name).data or "").replace("\r\n", "\n").strip()
                                for name in SHELTER_FIELDS if name not in ("kinds", "capacity")}
        data["kinds"] = [k for k in self.kinds.data or [] if isinstance(k, str)]
        data["capacity"] = (self.capacity.data or "").strip()
        return data

    def fill(self, data: dict[str, Any]) -> None:
        """Show shelter data in the form."""
        for name in SHELTER_FIELDS:
            value = data.get(name)
            if name == "kinds":
                self.kinds.data = list(value or [])
            elif name == "capacity":
                self.capacity.data = "" if value is None else str(value)
            else:
                getattr(self, name).data = value or ""


class StatusForm(JapaneseForm):
    """One tap on 未開設 / 開設 / 満."""

    status = HiddenField(validators=[DataRequired("状況を選んでください"),
                                     AnyOf(list(STATUSES), message="状況は 未開設・開設・満 から選んでください")])
