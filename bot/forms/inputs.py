"""The console's forms for applications and form settings (Flask-WTF: each carries a CSRF token)."""
from __future__ import annotations

from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from bot.forms.applications import MAX_MEMO, STATUS_LABELS
from bot.forms.retention import MAX_RETENTION_DAYS
from bot.core.inputs import JapaneseForm

MAX_PAPER = 1_000_000
MAX_DEFINITION = 100_000


class ApplicationUpdateForm(JapaneseForm):
    """Status and memo of one application."""

    status = SelectField("状態", choices=[SelectChoice(v, label) for v, label in STATUS_LABELS.items()])
    memo = TextAreaField("メモ（職員だけが見ます）", validators=[Length(max=MAX_MEMO, message=f"{MAX_MEMO}文字以内で入力してください")],
                         description="電話で聞いたことなど。住民には送られません。")


class ApplicationDeleteForm(JapaneseForm):
    """Deleting one record for good: staff type its receipt number to confirm."""

    receipt = StringField("確認のため受付番号を入力", validators=[DataRequired("受付番号を入力してください"), Length(max=40)])


class PaperForm(JapaneseForm):
    """The registrations made on paper, counted in the KPI."""

    paper_registrations = IntegerField("紙で受け付けた登録者数", validators=[
        InputRequired("数を入力してください（0人なら 0）"),
        NumberRange(min=0, max=MAX_PAPER, message=f"0から{MAX_PAPER:,}までの数を入力してください")],
        description="オンライン以外（窓口・郵送など）で登録した人の数。KPIの合計に加わります。")


class RetentionForm(JapaneseForm):
    """How long records of a form are kept."""

    retention_days = IntegerField("保存期間（日）", validators=[
        Optional(), NumberRange(min=1, max=MAX_RETENTION_DAYS, message=f"1から{MAX_RETENTION_DAYS}までの日数を入力してください")],
        description="受付（取消した記録は取消）からこの日数を過ぎた記録は、毎日の処理で削除されます。空欄なら削除するまで保存します。")


class HandlerForm(JapaneseForm):
    """Whether a staff member is 申込み担当."""

    handles_applications = BooleanField("申込み担当")


class DefinitionForm(JapaneseForm):
    """A form's definition as YAML text."""

    definition = TextAreaField("フォームの定義（YAML）", validators=[
        DataRequired("定義を入力してください"), Length(max=MAX_DEFINITION, message=f"{MAX_DEFINITION:,}文字以内にしてください")])
