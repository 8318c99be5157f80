"""The operator console's forms (Flask-WTF: each carries a CSRF token)."""
from __future__ import annotations

from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from bot.core.inputs import JapaneseForm

REQUIRED = DataRequired("入力してください")
# Where a new town's knowledge comes from: the bundled pack (KNOWLEDGE_DIR) or nothing; never a path typed in.
PACK_CHOICES = [SelectChoice("", "なし（あとで町の職員が取り込む）"), SelectChoice("bundled", "同梱のナレッジパック（KNOWLEDGE_DIR）")]


class OperatorLoginForm(JapaneseForm):
    email = EmailField("メールアドレス", validators=[REQUIRED, Length(max=254)])
    password = PasswordField("パスワード", validators=[REQUIRED, Length(max=200)])


class TownForm(JapaneseForm):
    slug = StringField("町の識別名（slug）", validators=[REQUIRED, Length(max=40)],
                       description="URLに使います（例: biei → /biei/callback, /biei/admin/）。半角の英小文字・数字・ハイフン。あとから変えられません。")
    name = StringField("町の名前", validators=[REQUIRED, Length(max=100)], description="住民に見える名前（例: 美瑛町）")
    pack = SelectField("ナレッジパック", choices=PACK_CHOICES, default="", validate_choice=True)
    line_channel_secret = PasswordField("チャネルシークレット", validators=[REQUIRED, Length(max=1000)],
                                        description="LINE Developers の「チャネル基本設定」にあります。")
    line_access_token = PasswordField("チャネルアクセストークン（長期）", validators=[REQUIRED, Length(max=1000)],
                                      description="LINE Developers の「Messaging API設定」で発行します。")
    line_bot_user_id = StringField("ボットのユーザーID（任意）", validators=[Optional(), Length(max=64)],
                                   description="空欄のときは、最初の Webhook から記録します。")


class ChannelForm(JapaneseForm):
    line_channel_secret = PasswordField("新しいチャネルシークレット", validators=[Optional(), Length(max=1000)])
    line_access_token = PasswordField("新しいチャネルアクセストークン", validators=[Optional(), Length(max=1000)])
    line_bot_user_id = StringField("新しいボットのユーザーID", validators=[Optional(), Length(max=64)])


class FirstAdminForm(JapaneseForm):
    email = EmailField("管理者のメールアドレス", validators=[REQUIRED, Length(max=254)])
