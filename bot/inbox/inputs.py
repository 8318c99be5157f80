"""Console forms of the inbox: add a wording, dismiss, check a flagged message, mark a wish handled."""
from __future__ import annotations

from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from bot.core.inputs import JapaneseForm
from bot.inbox.store import DISMISS_REASONS


def _choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class _InboxGroupForm(JapaneseForm):
    group = HiddenField(validators=[DataRequired(), Length(max=32)])
    days = HiddenField(validators=[Optional(), Length(max=4)])
    page = HiddenField(validators=[Optional(), Length(max=6)])


class AlternateForm(_InboxGroupForm):
    # Nothing is chosen in advance: a clerk who only presses the button must not teach the bot a wrong answer.
    entry = StringField("追加先の回答（候補）", validators=[Optional(), Length(max=80)])
    other = SelectField("ほかの回答に追加", validators=[Optional()], validate_choice=False)
    question = StringField("想定質問として追加する文", validators=[DataRequired("入力してください"), Length(max=200)])
    confirm = HiddenField(validators=[Optional(), Length(max=3)])


class DismissForm(_InboxGroupForm):
    reason = SelectField("理由", choices=_choices(DISMISS_REASONS))
    note = StringField("メモ（任意）", validators=[Length(max=300)])


class CheckForm(_InboxGroupForm):
    """Mark a 緊急 / 要配慮 message as seen by staff (確認済み)."""

    last = HiddenField(validators=[DataRequired(), Length(max=20)])  # the newest message staff saw on the page
    note = StringField("メモ（任意）", validators=[Length(max=300)])


class HandledForm(_InboxGroupForm):
    """A resident's wish to talk to staff was dealt with (called back): who and when are recorded."""

    note = StringField("メモ（任意。例：電話で折り返し済み）", validators=[Length(max=300)])
