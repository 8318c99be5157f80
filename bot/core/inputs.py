"""The base of every web form: Flask-WTF's CSRF protection with WTForms' own Japanese messages."""
from __future__ import annotations

from flask_wtf import FlaskForm


class JapaneseForm(FlaskForm):
    """A Flask-WTF form whose built-in validator messages are in Japanese."""

    class Meta:
        # WTForms ships Japanese messages ("フィールドは 3 文字を超えることはできません。"); without a locale, a
        # validator given no message of its own would show staff and residents English.
        locales = ["ja_JP", "ja"]


class ActionForm(JapaneseForm):
    """A button that changes something (approve, archive, delete…): only the CSRF token."""
