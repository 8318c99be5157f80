"""The console's signage forms: a facility, a screen, and the action buttons."""
from __future__ import annotations

from wtforms import StringField
from wtforms.validators import DataRequired, Length

from bot.signage.facilities import MAX_NAME, MAX_PLACE, MAX_SCREEN_NAME
from bot.core.inputs import JapaneseForm


class FacilityForm(JapaneseForm):
    name = StringField("施設名", validators=[DataRequired("入力してください"), Length(max=MAX_NAME)],
                       description="例：芦別市役所、総合福祉センター")
    place = StringField("場所（任意）", validators=[Length(max=MAX_PLACE)], description="例：正面玄関の横、2階の待合")


class ScreenForm(JapaneseForm):
    name = StringField("画面の名前（任意）", validators=[Length(max=MAX_SCREEN_NAME)], description="例：1階ロビー")


