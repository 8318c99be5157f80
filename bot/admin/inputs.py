"""Console forms (Flask-WTF: every one carries a CSRF token)."""
from __future__ import annotations

from bot.core.inputs import JapaneseForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from bot.models.accounts import ROLES

def _choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


ROLE_LABELS = {"admin": "管理者（ユーザー管理・取り込みもできる）", "editor": "編集者（回答の編集）"}



class LoginForm(JapaneseForm):
    email = EmailField("メールアドレス", validators=[DataRequired("入力してください"), Length(max=254)])
    password = PasswordField("パスワード", validators=[DataRequired("入力してください"), Length(max=200)])
    next = HiddenField()


class ImportForm(JapaneseForm):
    file = FileField("取り込むファイル（.csv または .zip）", validators=[
        FileRequired("ファイルを選んでください"), FileAllowed(["csv", "zip"], "CSVかZIPを選んでください")])


class ApplyImportForm(JapaneseForm):
    token = HiddenField(validators=[DataRequired()])
    confirm_lost = BooleanField("文字が失われた可能性のある項目も、ファイルの内容で上書きする")


class UserForm(JapaneseForm):
    email = EmailField("メールアドレス", validators=[DataRequired("入力してください"), Length(max=254)])
    # Editor by default: admin rights are the exception and should be chosen on purpose.
    role = SelectField("役割", choices=_choices({r: ROLE_LABELS[r] for r in ROLES}), default="editor")
    password = PasswordField("初期パスワード（空欄なら自動で作成して一度だけ表示）", validators=[Optional(), Length(max=200)])


class UserUpdateForm(JapaneseForm):
    role = SelectField("役割", choices=_choices({r: ROLE_LABELS[r] for r in ROLES}))
    active = BooleanField("ログインできる")


class PasswordForm(JapaneseForm):
    current = PasswordField("今のパスワード", validators=[DataRequired("入力してください")])
    new = PasswordField("新しいパスワード（10文字以上）", validators=[
        DataRequired("入力してください"), Length(min=10, max=200, message="10文字以上、200文字以内にしてください")])
    confirm = PasswordField("新しいパスワード（確認のためもう一度）", validators=[
        DataRequired("入力してください"), EqualTo("new", "上の新しいパスワードと同じものを入力してください")])

