"""Records kept by a slug key and fed by the knowledge pack (offices, shelters): the pack import's upsert that keeps
staff edits, and the checks a staff save makes before it writes. Each feature keeps its own rules, audit texts and
transaction; this module only holds the shape they share."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from sqlalchemy import select

from bot.core.problems import Problem
from bot.core.textrules import SLUG_RE, has_control
from bot.extensions import db

R = TypeVar("R")


def check_record(raw: Any, file: str, where: str, *, what: str, fields: tuple[str, ...] | set[str],
                 limits: dict[str, int], labels: dict[str, str], multiline: tuple[str, ...],
                 unknown: dict[str, str] | None = None) -> list[Problem]:
    """Return what is wrong with one slug-keyed record as written in a pack file, in the shape every such record has.

    A mapping of known fields (`unknown` gives a field its own message); `key` and `name` given; each text field a
    string within its limit, on one line unless it is multiline, without control characters; a well-formed key.
    The feature adds its own checks (phone, URL, kinds…) when the record is a mapping.
    """
    if not isinstance(raw, dict):
        return [Problem(file, where, f"{what}は「項目名: 値」の組で書いてください")]
    problems: list[Problem] = []
    for name in sorted(str(k) for k in raw if k not in fields):
        problems.append(Problem(file, f"{where}.{name[:40]}", (unknown or {}).get(name, "不明な項目です")))
    for name in ("key", "name"):
        if not (isinstance(raw.get(name), str) and raw[name].strip()):
            problems.append(Problem(file, f"{where}.{name}", f"{labels[name]}を入力してください"))
    for name, limit in limits.items():
        value = raw.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            problems.append(Problem(file, f"{where}.{name}", f"{labels[name]}は文字で書いてください"))
            continue
        if len(value) > limit:
            problems.append(Problem(file, f"{where}.{name}", f"{labels[name]}は{limit}文字以内にしてください"))
        if has_control(value) or (name not in multiline and has_control(value.strip(), one_line=True)):
            problems.append(Problem(file, f"{where}.{name}", f"{labels[name]}に改行や制御文字は使えません"))
    key = raw.get("key")
    if isinstance(key, str) and key and not SLUG_RE.match(key):
        problems.append(Problem(file, f"{where}.key", "識別名は半角の英小文字・数字・ハイフン（-）で書いてください"))
    return problems


@dataclass
class ImportReport:
    """What an import did to the records, key by key."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_staff_edits: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Tell whether anything was written."""
        return bool(self.created or self.updated)


def assign(record: Any, data: dict[str, Any]) -> None:
    """Copy pack data onto a record, field by field."""
    for name, value in data.items():
        setattr(record, name, value)


def upsert_by_key(model: type[R], rows: list[dict[str, Any]], *, force: bool, normalise: Callable[[dict], dict],
                  digest: Callable[[dict], str], create: Callable[[], R],
                  written: Callable[[R, dict[str, Any] | None, dict[str, Any]], None],
                  report: ImportReport | None = None) -> ImportReport:
    """Upsert validated pack rows by key in the caller's transaction; keep staff edits unless forced.

    A record whose content still hashes to what was last imported takes the file's content; one staff changed since
    is kept (and listed) unless `force`. `written(record, before, data)` runs after each flushed write, for the
    feature's revision and audit row (`before` is None for a new record)."""
    report = report if report is not None else ImportReport()
    existing = {r.key: r for r in db.session.scalars(select(model))}
    for raw in rows:
        data = normalise(raw)
        incoming = digest(data)
        record = existing.get(data["key"])
        if record is None:
            record = create()
            assign(record, data)
            record.imported_hash = incoming
            db.session.add(record)
            db.session.flush()
            written(record, None, data)
            report.created.append(data["key"])
            continue
        current = digest(record.content())
        if current == incoming:
            record.imported_hash = incoming
            report.unchanged.append(data["key"])
            continue
        if current != record.imported_hash and not force:
            report.kept_staff_edits.append(data["key"])
            continue
        before = record.content()
        assign(record, data)
        record.imported_hash = incoming
        db.session.flush()
        written(record, before, data)
        report.updated.append(data["key"])
    return report


def taken_key(model: type, key: str, max_length: int, file: str, field_name: str) -> list[Problem]:
    """Return the problem of a new record whose key another record already has (none for a malformed key)."""
    # Only a well-formed key reaches the database (PostgreSQL refuses a NUL even in a query).
    if SLUG_RE.match(key) and len(key) <= max_length and db.session.scalar(select(model.id).where(model.key == key)):
        return [Problem(file, field_name, "この識別名はすでに使われています")]
    return []

