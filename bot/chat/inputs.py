"""Console forms of the counter: reply, memo, a 定型文, the settings, the hand switch, 窓口担当."""
from __future__ import annotations

from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from bot.chat.settings import SWITCHES
from bot.chat.store import MAX_MEMO_CHARS, MAX_REPLY_CHARS
from bot.core.inputs import JapaneseForm


class ReplyForm(JapaneseForm):
    # Lengths are checked by the service (a clear message, the text kept in the box), not cut here.
    text = TextAreaField("返信", validators=[Optional(), Length(max=MAX_REPLY_CHARS * 4)])


class MemoForm(JapaneseForm):
    memo = TextAreaField("職員メモ（住民には送られません）", validators=[Optional(), Length(max=MAX_MEMO_CHARS * 4)])


class TemplateForm(JapaneseForm):
    template_id = HiddenField(validators=[Optional(), Length(max=10)])
    title = StringField("定型文の名前", validators=[Optional(), Length(max=200)])
    body = TextAreaField("本文", validators=[Optional(), Length(max=MAX_REPLY_CHARS * 4)])


class SwitchForm(JapaneseForm):
    switch = SelectField("窓口の状態", choices=[SelectChoice(k, v) for k, v in SWITCHES.items()], validate_choice=False)


class SettingsForm(JapaneseForm):
    chat_hours = StringField("受付時間（例：08:30-17:15。空欄：時間を決めず、手動で開けたときだけ）",
                             validators=[Optional(), Length(max=40)])
    chat_days = StringField("受付日（例：月火水木金）", validators=[Optional(), Length(max=20)])
    chat_quiet_minutes = StringField("やりとりがないとき自動で終える時間（分）", validators=[Optional(), Length(max=10)])
    chat_push_quota = StringField("月のプッシュメッセージ上限（空欄：上限なし・地方公共団体プラン）",
                                  validators=[Optional(), Length(max=12)])
    chat_mark_read = BooleanField("職員がチャットを開いたら、住民のLINEに既読をつける")
    chat_retention_days = StringField("チャットの保存期間（日）", validators=[Optional(), Length(max=10)])


class ChatHandlerForm(JapaneseForm):
    handles_chat = BooleanField("窓口担当")
