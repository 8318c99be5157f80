"""The console's pack upload forms (Flask-WTF: every one carries a CSRF token)."""
from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField
from wtforms.validators import DataRequired

from bot.core.inputs import JapaneseForm


class ImportForm(JapaneseForm):
    file = FileField("取り込むファイル（.csv または .zip）", validators=[
        FileRequired("ファイルを選んでください"), FileAllowed(["csv", "zip"], "CSVかZIPを選んでください")])


class ApplyImportForm(JapaneseForm):
    token = HiddenField(validators=[DataRequired()])
    confirm_lost = BooleanField("文字が失われた可能性のある項目も、ファイルの内容で上書きする")
