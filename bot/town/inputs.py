"""The 町の設定 form: the town's name, switchboard, hours, website and disaster-mode texts."""
from __future__ import annotations

import re
import unicodedata

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from bot.core.textrules import MAX_DIGITS, MIN_DIGITS, PHONE_RE, web_url_problem
from bot.core.inputs import JapaneseForm

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


def _phone_or_url(form, field) -> None:
    """A supplier's contact: a phone number the 電話 link can dial, or a web page."""
    value = (field.data or "").replace("‐", "-").replace("−", "-").replace("ー", "-")
    if not value:
        return
    if value.startswith(("http://", "https://")):
        if reason := web_url_problem(value, "ホームページのアドレス"):
            raise ValidationError(reason + "。")
        return
    field.data = value
    if not PHONE_RE.fullmatch(value):
        raise ValidationError("電話番号（例：0120-00-0000）か、「https://」から始まるホームページのアドレスを入力してください。")
    digits = sum(c.isdigit() for c in value)
    if not MIN_DIGITS <= digits <= MAX_DIGITS:
        raise ValidationError(f"電話番号の数字は{MIN_DIGITS}〜{MAX_DIGITS}けたにしてください。")


def _paired(other: str, what: str):
    """Refuse a contact without its name, and a name without its contact: residents need both."""
    def check(form, field) -> None:
        if bool(field.data) != bool(getattr(form, other).data):
            raise ValidationError(f"{what}の名前と連絡先は、両方入力するか、両方空欄にしてください。")
    return check


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
                          validators=[Length(max=300, message="300文字以内で入力してください"), _shared_rules],
                          description="空欄のあいだは、返信やサイネージにホームページを出しません。例：https://www.city.ashibetsu.hokkaido.jp/")
    disaster_banner = StringField("災害時の帯", filters=[_strip],
                                  validators=[DataRequired("入力してください"),
                                              Length(max=MAX_BANNER, message=f"{MAX_BANNER}文字以内の1行で入力してください"),
                                              _one_line, _shared_rules],
                                  description=f"災害時モードのあいだ、返信の先頭に出す1行です（{MAX_BANNER}文字以内）。")
    disaster_greeting = TextAreaField("災害時のあいさつ", filters=[lambda v: (v or "").strip()],
                                      validators=[DataRequired("入力してください"),
                                                  Length(max=500, message="500文字以内で入力してください"), _shared_rules],
                                      description="災害時モードのあいだ、友だち追加やあいさつへの返事に使います（500文字以内）。")
    power_name = StringField("電力会社の名前", filters=[_strip],
                             validators=[Length(max=60, message="60文字以内で入力してください"), _one_line,
                                         _paired("power_contact", "電力会社")],
                             description="災害時モードで「停電」の質問に案内します。空欄の間は案内しません（要確認）。")
    power_contact = StringField("電力会社の連絡先", filters=[_half_width],
                                validators=[Length(max=300, message="300文字以内で入力してください"), _phone_or_url],
                                description="電話番号か、停電情報のページのアドレス（https://…）。電力会社の公式の情報で確かめてから入力してください。")
    water_name = StringField("水道の問い合わせ先の名前", filters=[_strip],
                             validators=[Length(max=60, message="60文字以内で入力してください"), _one_line,
                                         _paired("water_contact", "水道の問い合わせ先")],
                             description="災害時モードで「断水」の質問に案内します。空欄の間は案内しません（要確認）。")
    water_contact = StringField("水道の連絡先", filters=[_half_width],
                                validators=[Length(max=300, message="300文字以内で入力してください"), _phone_or_url],
                                description="電話番号か、断水情報のページのアドレス（https://…）。")
