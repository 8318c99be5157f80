"""The staff accounts' forms (Flask-WTF: every one carries a CSRF token)."""
from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from bot.core.inputs import JapaneseForm
from bot.models.accounts import ROLES

ROLE_LABELS = {"admin": "管理者（ユーザー管理・取り込みもできる）", "editor": "編集者（回答の編集）"}
ROLE_CHOICES = [SelectChoice(role, ROLE_LABELS[role]) for role in ROLES]


class UserForm(JapaneseForm):
    email = EmailField("メールアドレス", validators=[DataRequired("入力してください"), Length(max=254)])
    # Editor by default: admin rights are the exception and should be chosen on purpose.
    role = SelectField("役割", choices=ROLE_CHOICES, default="editor")
    password = PasswordField("初期パスワード（空欄なら自動で作成して一度だけ表示）", validators=[Optional(), Length(max=200)])


class UserUpdateForm(JapaneseForm):
    role = SelectField("役割", choices=ROLE_CHOICES)
    active = BooleanField("ログインできる")
