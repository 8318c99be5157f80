"""The console's notice forms: compose, approve, test-send, test recipients, and the action buttons."""
from __future__ import annotations

from bot.core.inputs import JapaneseForm
from wtforms import (
    DateTimeLocalField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from bot.notices.compose import MAX_BODY, MAX_TITLE
from bot.notices.test_recipients import MAX_NAME


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NoticeForm(JapaneseForm):
    title = StringField("タイトル", validators=[DataRequired("入力してください"), Length(max=MAX_TITLE)],
                        description=f"{MAX_TITLE}文字以内。通知の一覧に出ます。")
    body = TextAreaField("本文", validators=[DataRequired("入力してください"), Length(max=MAX_BODY)],
                         description=f"{MAX_BODY}文字以内。です・ます調で、短い段落に。")
    url = StringField("リンク（任意）", validators=[Optional(), Length(max=500)],
                      description="https:// で始まる詳しいページ。「リンクを開く」ボタンになります。")
    entry_slug = SelectField("関連する回答（任意）", choices=[], validate_choice=False,
                             description="選ぶと「くわしく」ボタンで、その回答をボットが答えます。")
    # Everyone by default: a clerk who only types a title and a body can save the draft; the count shows the reach.
    audience = RadioField("送る相手", choices=[SelectChoice("all", "友だち全員（配信停止した人を除く）"),
                                               SelectChoice("topics", "テーマを選んだ人"),
                                               SelectChoice("supporters", "応援団員（LINE希望）")], default="all")
    topics = CheckboxesField("テーマ", choices=[], validate_choice=False)
    timing = RadioField("送る時刻", choices=[SelectChoice("now", "承認されたらすぐ"), SelectChoice("at", "日時を指定")],
                        default="now")
    send_at = DateTimeLocalField("送信日時（日本時間）", format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                 invalid_value_message="日時を「年/月/日 時:分」の形で入力してください。")
    channels = CheckboxesField("配信先（1つ以上）", choices=[SelectChoice("line", "LINE（友だちに1回送ります）"),
                                                      SelectChoice("signage", "サイネージ（施設の画面）"),
                                                      SelectChoice("web", "公開ページ（ホームページ・フィード）")],
                               default=["line"], validate_choice=False)
    screens = RadioField("サイネージの画面", choices=[SelectChoice("all", "すべての画面"),
                                                     SelectChoice("chosen", "施設を選ぶ")], default="all")
    facilities = CheckboxesField("施設", choices=[], validate_choice=False)
    display_from = DateTimeLocalField("表示の開始（日本時間・任意）", format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                      invalid_value_message="日時を「年/月/日 時:分」の形で入力してください。",
                                      description="空欄なら承認されたときから表示します。")
    display_until = DateTimeLocalField("表示の終了（日本時間）", format="%Y-%m-%dT%H:%M", validators=[Optional()],
                                       invalid_value_message="日時を「年/月/日 時:分」の形で入力してください。",
                                       description="サイネージでは必須。この日時に画面と公開ページから消えます。")


class ApproveForm(JapaneseForm):
    """The approve button, naming the revision of the notice the approver is looking at."""

    revision = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])


class TestSendForm(JapaneseForm):
    recipient = SelectField("送り先（職員のテスト用 LINE）", coerce=int, choices=[], validate_choice=False,
                            validators=[InputRequired("送り先を選んでください")])


class RecipientForm(JapaneseForm):
    name = StringField("名前", validators=[DataRequired("入力してください"), Length(max=MAX_NAME)],
                       description="例：企画課 山田（テスト用スマホ）")
    line_user_id = StringField("LINE のユーザーID", validators=[DataRequired("入力してください"), Length(max=64)],
                               description="U で始まる33文字。LINE Developers コンソールの「あなたのユーザーID」。"
                                           "この公式アカウントを友だち追加した LINE のものにしてください。")


