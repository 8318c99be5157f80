"""Japanese names for the codes the app stores, in one registry that each feature fills with its own.

A feature names its codes in its own `labels.py` (audit actions, stored field names and values, revision
reasons…) and calls `register(...)` there; its package's `__init__` imports that module, so the names are in the
registry as soon as anything of the feature is imported. `create_app` imports every feature (their consoles,
blueprints and commands), so every page sees every name; the lookups below read the registry when called, never
at import time, so the order in which features are imported does not matter. A code named twice with two
different texts is an error at import time.

The console's audit, history and diff pages read the names through `action_label`, `actor_label`,
`field_label`, `value_label`, `reason_label` and `readable`.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

_ACTIONS: dict[str, str] = {}
_ACTORS: dict[str, str] = {}
_FIELDS: dict[str, str] = {}
_VALUES: dict[str, dict[Any, str]] = {}
_REVISION_REASONS: dict[str, str] = {}
_OUTCOMES: dict[str, str] = {}
_REASON_PREFIXES: dict[str, str] = {}

# Read-only views of the registry: they show what is registered when they are read, whenever imported.
AUDIT_ACTIONS: Mapping[str, str] = MappingProxyType(_ACTIONS)  # one name per audit action
REVISION_REASONS: Mapping[str, str] = MappingProxyType(_REVISION_REASONS)  # why an entry or office got a revision
OUTCOME_LABELS: Mapping[str, str] = MappingProxyType(_OUTCOMES)  # what the bot did with a message (QuestionLog.outcome)


def _add(kind: str, table: dict, names: Mapping[Any, str]) -> None:
    for code, text in names.items():
        if table.get(code, text) != text:
            raise ValueError(f"{kind} {code!r} is named twice: {table[code]!r} and {text!r}")
    table.update(names)


def register(*, actions: Mapping[str, str] | None = None, actors: Mapping[str, str] | None = None,
             fields: Mapping[str, str] | None = None, values: Mapping[str, Mapping[Any, str]] | None = None,
             revision_reasons: Mapping[str, str] | None = None, outcomes: Mapping[str, str] | None = None,
             reason_prefixes: Mapping[str, str] | None = None) -> None:
    """Add a feature's Japanese names; registering the same name again is harmless, a different one fails.

    - actions: audit action codes (`entry.edit`);
    - actors: audit actors that are not staff e-mail addresses (`system`);
    - fields: keys of stored data (entry fields, audit before/after keys);
    - values: per key, the names of its stored values (`status`: `published` → 公開);
    - revision_reasons: why a revision was written (`rollback`);
    - outcomes: what the bot did with a message;
    - reason_prefixes: the matcher's English reason prefixes (`words: `) and what staff read instead.
    """
    _add("audit action", _ACTIONS, actions or {})
    _add("actor", _ACTORS, actors or {})
    _add("field", _FIELDS, fields or {})
    for key, names in (values or {}).items():
        _add(f"value of {key}", _VALUES.setdefault(key, {}), names)
    _add("revision reason", _REVISION_REASONS, revision_reasons or {})
    _add("outcome", _OUTCOMES, outcomes or {})
    _add("reason prefix", _REASON_PREFIXES, reason_prefixes or {})


def actor_label(actor: str) -> str:
    """Return who did something as staff read it (an e-mail address stays as it is)."""
    return _ACTORS.get(actor, actor)


def action_label(code: str) -> str:
    """Return the Japanese name of an audit action; a code no feature names shows as その他の操作."""
    return _ACTIONS.get(code, "その他の操作")


def field_label(key: str) -> str:
    """Return the Japanese name of an entry field (or other stored key); the key itself when none is registered."""
    return _FIELDS.get(key, key)


def value_label(key: str, value: Any) -> Any:
    """Return a stored value as staff read it (公開 for published); other values unchanged."""
    labels = _VALUES.get(key)
    if labels is None:
        return value
    if isinstance(value, list):  # several codes, as a notice's channels
        return [labels.get(v, v) if isinstance(v, (str, int)) else v for v in value]
    try:
        return labels.get(value, value)
    except TypeError:  # an unhashable value (a list) has no label
        return value


def reason_label(reason: str) -> str:
    """Return one of the matcher's reasons in Japanese."""
    for prefix, label in _REASON_PREFIXES.items():
        if reason.startswith(prefix):
            return label + reason[len(prefix):]
    return reason


def readable(data: Any) -> Any:
    """Return audit before/after data with Japanese keys and values, for display."""
    if isinstance(data, dict):
        return {field_label(str(k)): value_label(str(k), v) for k, v in data.items()}
    return data
