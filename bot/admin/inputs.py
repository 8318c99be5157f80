"""The console shell's own forms: signing in and changing one's password (Flask-WTF: each carries a CSRF token)."""
from __future__ import annotations

from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from bot.core.inputs import JapaneseForm


class LoginForm(JapaneseForm):
    email = EmailField("メールアドレス", validators=[DataRequired("入力してください"), Length(max=254)])
    password = PasswordField("パスワード", validators=[DataRequired("入力してください"), Length(max=200)])
    next = HiddenField()


class PasswordForm(JapaneseForm):
    current = PasswordField("今のパスワード", validators=[DataRequired("入力してください")])
    new = PasswordField("新しいパスワード（10文字以上）", validators=[
        DataRequired("入力してください"), Length(min=10, max=200, message="10文字以上、200文字以内にしてください")])
    confirm = PasswordField("新しいパスワード（確認のためもう一度）", validators=[
        DataRequired("入力してください"), EqualTo("new", "上の新しいパスワードと同じものを入力してください")])
