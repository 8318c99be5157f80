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


def attach_errors(form: FlaskForm, errors: dict[str, list[str]]) -> None:
    """Show a service's Japanese messages on the form: under their field, or above the form when no field fits."""
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + messages
        else:
            form.form_errors.extend(messages)
