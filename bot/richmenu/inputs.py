"""Console forms for publishing the rich menu and switching disaster mode (CSRF via Flask-WTF)."""
from __future__ import annotations

from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from bot.richmenu.mode import MAX_REASON_CHARS
from bot.richmenu.publish import MODE_LABELS
from bot.core.inputs import JapaneseForm


class PublishForm(JapaneseForm):
    """Publish one mode's menu to LINE."""

    mode = SelectField("メニュー", choices=[SelectChoice(m, label) for m, label in MODE_LABELS.items()], validators=[DataRequired("選んでください")])
    digest = HiddenField("確認コード")  # the review shown; the service refuses any other menu


class DisasterForm(JapaneseForm):
    """Switch disaster mode on or off, with a reason and a confirmation."""

    switch = SelectField("切り替え", choices=[SelectChoice("on", "災害時モードにする"), SelectChoice("off", "通常に戻す")],
                         validators=[DataRequired("選んでください")])
    reason = TextAreaField("理由", validators=[DataRequired("理由を入力してください"),
                                               Length(max=MAX_REASON_CHARS,
                                                      message=f"{MAX_REASON_CHARS}文字以内で入力してください")])
    confirm = BooleanField("上に表示したメニューの変更内容（URLを含む）と、住民に表示されるメニューとあいさつが切り替わることを確認しました",
                           validators=[DataRequired("確認のチェックを入れてください")])
    digest = HiddenField("確認コード")  # the review shown; the service refuses any other menu
