"""Import and export the knowledge as a YAML zip or an Excel-friendly CSV; imports are staged then applied whole."""
from __future__ import annotations

import csv
import io
import json
import re
import secrets
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from sqlalchemy import select

from bot import audit
from bot.extensions import db
from bot.knowledge.editing import check_entry, japanese_reason, write_entry
from bot.knowledge.store import bump_version
from bot.knowledge.pack import DATE_FIELDS, FIELD_ORDER, LIST_FIELDS, SYNONYMS_FILE, dump_entry, normalise_entry
from bot.models import Entry

MAX_UPLOAD_ENTRIES = 2000
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
# Excel re-saves 2026-04-01 as 2026/4/1; accept that rather than reject every row.
_SLASH_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")


@dataclass
class RowProblem:
    """One problem in an upload: where (file or CSV line), which field, why (in Japanese)."""

    where: str
    field: str
    reason: str


@dataclass
class PlannedChange:
    """What applying the upload would do to one entry."""

    slug: str
    title: str
    action: str  # "create" | "update" | "unchanged"
    fields: list[str] = field(default_factory=list)
    lock_version: int | None = None


@dataclass
class Staged:
    """A parsed upload waiting for staff to confirm it."""

    filename: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    plan: list[PlannedChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    token: str = ""

    @property
    def ok(self) -> bool:
        """Tell whether the upload may be applied."""
        return not self.problems and bool(self.entries)


class ImportRefused(Exception):
    """Raised when a staged import may not be applied; nothing was changed."""


def _entries_for_export() -> list[Entry]:
    return list(db.session.scalars(select(Entry).where(Entry.archived.is_(False)).order_by(Entry.slug)))


def export_zip(synonyms_path: Path | None = None) -> bytes:
    """Return the entries as a pack: one YAML file per entry (plus synonyms) in a zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in _entries_for_export():
            archive.writestr(f"knowledge/{entry.slug}.yaml", dump_entry(entry.content()))
        if synonyms_path and synonyms_path.exists():
            archive.writestr(f"knowledge/{SYNONYMS_FILE}", synonyms_path.read_text(encoding="utf-8"))
    return buffer.getvalue()


def export_csv() -> bytes:
    """Return the entries as CSV with a BOM so Excel reads the Japanese; lists one item per line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELD_ORDER)
    for entry in _entries_for_export():
        data = entry.content()
        writer.writerow(["\n".join(data[n]) if n in LIST_FIELDS else data[n] for n in FIELD_ORDER])
    return out.getvalue().encode("utf-8-sig")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" save on Japanese Windows writes Shift_JIS (cp932).
        return raw.decode("cp932")


def _row_to_entry(row: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value in row.items():
        value = (value or "").replace("\r\n", "\n")
        if name in LIST_FIELDS:
            data[name] = [line.strip() for line in value.split("\n") if line.strip()]
        elif name in DATE_FIELDS:
            match = _SLASH_DATE.match(value.strip())
            data[name] = (f"{int(match[1]):04d}-{int(match[2]):02d}-{int(match[3]):02d}" if match
                          else value.strip())
        else:
            data[name] = value.strip()
    # An empty optional cell means "not set", as an absent key does in YAML.
    return {k: v for k, v in data.items() if v not in ("", [])} | {
        k: data.get(k, "") for k in ("slug", "title", "category", "answer", "source", "status")}


def _parse_csv(raw: bytes, staged: Staged) -> list[tuple[str, Any]]:
    try:
        text = _decode(raw)
    except UnicodeDecodeError:
        staged.problems.append(RowProblem(staged.filename, "-", "文字コードを読み取れません（UTF-8で保存してください）"))
        return []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h for h in (reader.fieldnames or [])]
    unknown = [h for h in headers if h not in FIELD_ORDER]
    for name in unknown:
        staged.problems.append(RowProblem("1行目", name, "不明な列です"))
    if not headers:
        staged.problems.append(RowProblem(staged.filename, "-", "見出しの行がありません"))
        return []
    rows = []
    for number, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        # Excel's row number (the header is row 1), not the file line: cells may hold several lines.
        where = f"{number}行目"
        if None in row:
            staged.problems.append(RowProblem(where, "-", "見出しより列が多い行です"))
            continue
        rows.append((where, _row_to_entry({k: v for k, v in row.items() if k in FIELD_ORDER})))
    return rows


def _parse_zip(raw: bytes, staged: Staged) -> list[tuple[str, Any]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        staged.problems.append(RowProblem(staged.filename, "-", "ZIPファイルとして読み取れません"))
        return []
    rows = []
    with archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename).name
            if info.is_dir() or not name.endswith((".yaml", ".yml")) or name.startswith("."):
                continue
            if name == SYNONYMS_FILE:
                staged.notes.append("synonyms.yaml（言い換え辞書）は取り込みません。変更はリポジトリで行ってください。")
                continue
            if info.file_size > 1_000_000:
                staged.problems.append(RowProblem(name, "-", "ファイルが大きすぎます"))
                continue
            try:
                raw_entry = yaml.safe_load(archive.read(info).decode("utf-8"))
            except UnicodeDecodeError:
                staged.problems.append(RowProblem(name, "-", "UTF-8のテキストではありません"))
                continue
            except (yaml.YAMLError, ValueError) as exc:
                staged.problems.append(RowProblem(name, "-", f"YAMLとして読み取れません: {exc}"[:300]))
                continue
            if isinstance(raw_entry, dict) and raw_entry.get("slug") and PurePosixPath(name).stem != raw_entry["slug"]:
                staged.problems.append(RowProblem(name, "slug", f"ファイル名は {raw_entry['slug']}.yaml にしてください"))
            rows.append((name, raw_entry))
    return rows


def parse_upload(filename: str, raw: bytes) -> Staged:
    """Read an uploaded CSV or zip, validate every entry and plan the changes; write nothing."""
    staged = Staged(filename=filename)
    lower = filename.lower()
    if lower.endswith(".csv"):
        rows = _parse_csv(raw, staged)
    elif lower.endswith(".zip"):
        rows = _parse_zip(raw, staged)
    else:
        staged.problems.append(RowProblem(filename, "-", "CSV（.csv）かYAMLのZIP（.zip）を選んでください"))
        return staged
    if len(rows) > MAX_UPLOAD_ENTRIES:
        staged.problems.append(RowProblem(filename, "-", f"一度に取り込めるのは{MAX_UPLOAD_ENTRIES}件までです"))
        return staged
    if not rows and not staged.problems:
        staged.problems.append(RowProblem(filename, "-", "取り込む項目がありません"))
    existing = {e.slug: e for e in db.session.scalars(select(Entry))}
    seen: dict[str, str] = {}
    for where, raw_entry in rows:
        slug = raw_entry.get("slug") if isinstance(raw_entry, dict) else None
        current = existing.get(slug) if isinstance(slug, str) else None
        problems = check_entry(raw_entry, file=where, existing_id=current.id if current else None)
        for p in problems:
            staged.problems.append(RowProblem(p.file, p.field, japanese_reason(p.reason)))
        if problems:
            continue
        if slug in seen:
            staged.problems.append(RowProblem(where, "slug", f"{seen[slug]} と識別名が重複しています"))
            continue
        seen[slug] = where
        data = normalise_entry(raw_entry)
        staged.entries.append(data)
        staged.plan.append(_plan(data, current))
    return staged


def _plan(data: dict[str, Any], current: Entry | None) -> PlannedChange:
    if current is None:
        return PlannedChange(data["slug"], data["title"], "create")
    before = current.content()
    fields = [n for n in FIELD_ORDER if before.get(n) != data.get(n)]
    if current.archived:
        fields.append("archived")
    return PlannedChange(data["slug"], data["title"], "update" if fields else "unchanged", fields,
                         current.lock_version)


def stage(staged: Staged, directory: Path) -> str:
    """Keep a valid upload on disk until staff confirm it; return its token."""
    directory.mkdir(parents=True, exist_ok=True)
    staged.token = secrets.token_hex(16)
    (directory / f"{staged.token}.json").write_text(json.dumps(asdict(staged), ensure_ascii=False), encoding="utf-8")
    return staged.token


def load_staged(directory: Path, token: str) -> Staged:
    """Return a staged upload, or raise ImportRefused when it is unknown."""
    if not _TOKEN_RE.match(token or ""):
        raise ImportRefused("取り込みの受付番号が正しくありません。もう一度ファイルを選んでください。")
    path = directory / f"{token}.json"
    if not path.exists():
        raise ImportRefused("この取り込みは見つかりません（適用済みか期限切れ）。もう一度ファイルを選んでください。")
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Staged(
        filename=raw["filename"], entries=raw["entries"], token=raw["token"], notes=raw["notes"],
        problems=[RowProblem(**p) for p in raw["problems"]], plan=[PlannedChange(**p) for p in raw["plan"]],
    )


def apply_staged(staged: Staged, actor: str, directory: Path | None = None) -> dict[str, int]:
    """Apply every planned change in one transaction, or none of them."""
    if not staged.ok:
        raise ImportRefused("問題のある行があるため取り込みません。ファイルを直してから、もう一度選んでください。")
    counts = {"create": 0, "update": 0, "unchanged": 0}
    changed = False
    try:
        existing = {e.slug: e for e in db.session.scalars(select(Entry))}
        for data, planned in zip(staged.entries, staged.plan):
            entry = existing.get(data["slug"])
            if (entry is None) != (planned.action == "create") or (
                    entry is not None and entry.lock_version != planned.lock_version):
                raise ImportRefused(
                    f"確認画面を表示した後に「{planned.title}」が変更されました。もう一度ファイルを選んでください。")
            problems = check_entry(data, file=data["slug"], existing_id=entry.id if entry else None)
            if problems:
                raise ImportRefused(f"「{planned.title}」: {japanese_reason(problems[0].reason)}")
            restored = entry is not None and entry.archived
            if restored:
                # Importing an archived entry brings it back, as the preview said.
                entry.archived = False
            # One version bump for the whole import: workers rebuild their index once.
            result = write_entry(entry, data, actor, reason="import", bump=False)
            changed = changed or result.changed or restored
            counts[planned.action] += 1
        if changed:
            bump_version()
        audit.record(actor, "import", "pack", staged.filename, f"{staged.filename} を取り込み（新規{counts['create']}件・"
                     f"変更{counts['update']}件）", None, counts)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if directory is not None:
        (directory / f"{staged.token}.json").unlink(missing_ok=True)
    return counts
