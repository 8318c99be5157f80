"""The 町の設定 form: the town's name, switchboard, hours, website and disaster-mode texts."""
from __future__ import annotations

import re
import unicodedata

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from bot.webforms import JapaneseForm

# A Japanese number as residents dial it: 0 and 9 or 10 more digits, hyphens between the groups optional.
_PHONE = re.compile(r"0\d{1,4}-?\d{1,4}-?\d{3,4}")
MAX_BANNER = 60  # the banner is one short line above every reply


def _strip(value: str | None) -> str:
    return (value or "").strip()


def _half_width(value: str | None) -> str:
    # Full-width digits and hyphens (０１２４－２２) arrive from Japanese keyboards: keep the half-width form.
    return unicodedata.normalize("NFKC", value or "").strip()


def _phone(form, field) -> None:
    value = (field.data or "").replace("‐", "-").replace("−", "-").replace("ー", "-")
    field.data = value
    digits = value.replace("-", "")
    if value and (not _PHONE.fullmatch(value) or len(digits) not in (10, 11)):
        raise ValidationError("電話番号は「0124-22-2111」のように、0から始まる10〜11けたの数字で入力してください（ハイフンは入れても入れなくてもかまいません）。")


def _shared_rules(form, field) -> None:
    # The rules every door applies to town settings (bot/town/settings.py), offices included.
    from bot.town.settings import problem

    if reason := problem(field.name, field.data or ""):
        raise ValidationError(reason)


def _one_line(form, field) -> None:
    if "\n" in (field.data or "") or "\r" in (field.data or ""):
        raise ValidationError("改行は入れずに、1行で入力してください。")


class TownForm(JapaneseForm):
    """Every town setting that residents see in replies."""

    name = StringField("市町村名", filters=[_strip],
                       validators=[DataRequired("入力してください"), Length(max=40, message="40文字以内で入力してください"), _shared_rules],
                       description="あいさつなどに使います。例：芦別市")
    contact = StringField("窓口名", filters=[_strip],
                          validators=[DataRequired("入力してください"), Length(max=60, message="60文字以内で入力してください"), _shared_rules],
                          description="「〜へお問い合わせください」の宛先です。例：芦別市役所")
    phone = StringField("代表電話", filters=[_half_width], validators=[Length(max=20, message="20文字以内で入力してください"), _phone, _shared_rules],
                        description="空欄にすると、電話番号の代わりにホームページを案内します。例：0124-22-2111")
    hours = StringField("受付時間", filters=[_strip],
                        validators=[Length(max=100, message="100文字以内で入力してください"), _one_line, _shared_rules],
                        description="代表電話と一緒に案内します。例：平日 8:30〜17:15（土日祝日・年末年始を除く）")
    website = StringField("ホームページ", filters=[_half_width],
                          validators=[DataRequired("入力してください"), Length(max=300, message="300文字以内で入力してください"), _shared_rules],
                          description="例：https://www.city.ashibetsu.hokkaido.jp/")
    disaster_banner = StringField("災害時の帯", filters=[_strip],
                                  validators=[DataRequired("入力してください"),
                                              Length(max=MAX_BANNER, message=f"{MAX_BANNER}文字以内の1行で入力してください"),
                                              _one_line, _shared_rules],
                                  description=f"災害時モードのあいだ、返信の先頭に出す1行です（{MAX_BANNER}文字以内）。")
    disaster_greeting = TextAreaField("災害時のあいさつ", filters=[lambda v: (v or "").strip()],
                                      validators=[DataRequired("入力してください"),
                                                  Length(max=500, message="500文字以内で入力してください"), _shared_rules],
                                      description="災害時モードのあいだ、友だち追加やあいさつへの返事に使います（500文字以内）。")
