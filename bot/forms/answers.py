"""Read a browser's post into checked answers, and back into the values an input page shows."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.forms.fields import check, display

PREFIX = "f-"
# A contact method chosen in any select field needs its address: 「メール」 needs the form's e-mail field.
CONTACT_NEEDS = {"メール": "email"}
HONEYPOT = "website"  # hidden from people; a bot that fills every field fills this one too


def field_name(key: str) -> str:
    """Return the HTML name of a field."""
    return PREFIX + key


def read(definition: dict[str, Any], form) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (answers, errors by key) for a posted form (a MultiDict)."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in definition["fields"]:
        value, error = check(field, form.getlist(field_name(field["key"])))
        answers[field["key"]] = value
        if error:
            errors[field["key"]] = error
    _contact_addresses(definition, answers, errors)
    return answers, errors


def _contact_addresses(definition: dict[str, Any], answers: dict[str, Any], errors: dict[str, str]) -> None:
    """Refuse a chosen contact method whose address is empty, next to the address field (the input is kept)."""
    labels = {f["key"]: f["label"] for f in definition["fields"]}
    for field in definition["fields"]:
        needed = CONTACT_NEEDS.get(answers.get(field["key"])) if field["type"] == "select" else None
        if needed in labels and not answers.get(needed) and needed not in errors:
            errors[needed] = (f"「{field['label']}」で「{answers[field['key']]}」を選んだときは、"
                              f"「{labels[needed]}」を入力してください。")


def rows(definition: dict[str, Any], answers: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (label, shown value) for the confirm page."""
    return [(f["label"], display(f, answers.get(f["key"]))) for f in definition["fields"]]


def hidden(definition: dict[str, Any], answers: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (name, value) pairs that carry the answers through the confirm page."""
    pairs: list[tuple[str, str]] = []
    for field in definition["fields"]:
        value = answers.get(field["key"])
        name = field_name(field["key"])
        if field["type"] == "multi_select":
            pairs += [(name, v) for v in value or []]
        elif field["type"] == "checkbox":
            if value:
                pairs.append((name, "1"))
        elif value not in (None, ""):
            pairs.append((name, str(value)))
    return pairs


def digest(answers: dict[str, Any]) -> str:
    """Return a hash of the answers, so the draft can tell whether the hidden copies were changed."""
    return hashlib.sha256(json.dumps(answers, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:32]
