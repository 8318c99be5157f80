"""The console's pack upload and download: the knowledge as a YAML zip or an Excel-friendly CSV; imports are staged
then applied whole (entries, offices and shelters in one transaction, one version bump).

The zip is the pack as `kb export` writes it, section by section (bot/pack/sections.py). An upload sorts its files
by section the same way: the entries, offices and shelters are previewed and applied here; every other section's
files are named in a note and left to that feature's page or to `flask kb import`."""
from __future__ import annotations

import io
import json
import re
import secrets
import tempfile
import time
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from flask import current_app
from sqlalchemy import select

from bot import csvsafe
from bot.core import audit
from bot.core.problems import Invalid, Problem
from bot.extensions import db
from bot.knowledge.editing import check_entry, write_entry
from bot.knowledge.labels import field_key, field_label, status_key, status_label
from bot.knowledge.lostchars import lost_characters
from bot.core.version import bump_version
from bot.knowledge.pack import DATE_FIELDS, FIELD_ORDER, LIST_FIELDS, normalise_entry
from bot.models import Entry
from bot.offices.pack import OFFICES_FILE, normalise_office, validate_offices
from bot.offices.store import import_offices
from bot.pack import export_pack
from bot.pack.sections import BY_NAME, SECTIONS
from bot.shelters.pack import SHELTERS_FILE, normalise_shelter
from bot.shelters.pack import validate as validate_shelters
from bot.shelters.store import import_shelters

MAX_UPLOAD_ENTRIES = 2000
# An entry within every field limit is a few kilobytes of YAML; these bound what a zip may make us
# read and parse (a 72 KB zip can unpack to gigabytes), checked on declared and on actual sizes.
MAX_ENTRY_FILE = 128 * 1024
MAX_UNPACKED = 8 * 1024 * 1024
# A staged upload is a preview a clerk is looking at; after this long it is deleted, not applied.
STAGED_SECONDS = 3600
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
# Excel re-saves 2026-04-01 as 2026/4/1; accept that rather than reject every row.
_SLASH_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
# The C parser when PyYAML has it: same safe constructors, a tenth of the CPU.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# What a damaged member raises while it is read: bad CRC, truncated or lying sizes, odd methods.
_ZIP_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError, ValueError, OSError)
# The sections an upload previews and applies; the files of every other section are left alone, with a note.
STAGED_SECTIONS = ("offices", "shelters", "entries")
_LEFT_ALONE = {
    "synonyms": "synonyms.yaml（言い換え辞書）は取り込みません。変更はリポジトリで行ってください。",
    "safety": "safety.yaml（緊急のご案内）は取り込みません。変更はリポジトリで行い、kb check で確かめてください。",
}
_LEFT_ALONE_OTHERWISE = "{files} は、ここでは取り込みません。それぞれの画面で変更するか、サーバーで flask kb import を使ってください。"
# Which section a top-level file of a pack belongs to; a section without files of its own keeps them in a folder
# named after it (forms/), and every other file is an entry.
_OWNER = {name: section.name for section in SECTIONS for name in section.files}


@dataclass
class PlannedChange:
    """What applying the upload would do to one entry."""

    slug: str
    title: str
    action: str  # "create" | "update" | "unchanged"
    fields: list[str] = field(default_factory=list)
    lock_version: int | None = None
    # Fields whose new text differs only where characters were lost to Shift_JIS: field -> lost characters.
    lost: dict[str, str] = field(default_factory=dict)

    @property
    def needs_confirmation(self) -> bool:
        """Tell whether every change of this entry is a suspected character loss."""
        return self.action == "update" and set(self.fields) <= set(self.lost)


@dataclass
class Staged:
    """A parsed upload waiting for staff to confirm it."""

    filename: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    plan: list[PlannedChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    token: str = ""
    encoding: str = "utf-8"
    offices: list[dict[str, Any]] | None = None  # from the zip's offices.yaml; None when it has none
    shelters: list[dict[str, Any]] | None = None  # from the zip's shelters.yaml; None when it has none

    @property
    def ok(self) -> bool:
        """Tell whether the upload may be applied."""
        return not self.problems and bool(self.entries)

    @property
    def changing(self) -> int:
        """Count the entries that applying changes without any confirmation."""
        return sum(1 for p in self.plan if p.action == "create" or (p.action == "update" and not p.needs_confirmation))

    @property
    def lost_only(self) -> int:
        """Count the entries that change only when the clerk confirms the lost characters."""
        return sum(1 for p in self.plan if p.needs_confirmation)

    @property
    def lost_entries(self) -> int:
        """Count the entries with fields that may have lost characters."""
        return sum(1 for p in self.plan if p.lost)


class ImportRefused(Exception):
    """Raised when a staged import may not be applied; nothing was changed."""


def _entries_for_export() -> list[Entry]:
    return list(db.session.scalars(select(Entry).where(Entry.archived.is_(False)).order_by(Entry.slug)))


def export_zip(synonyms: dict[str, list[str]] | None = None) -> bytes:
    """Return the pack as `kb export` writes it, every section's files under knowledge/ in a zip."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as directory, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        root = Path(directory)
        export_pack(root, synonyms)
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            archive.writestr(f"knowledge/{path.relative_to(root).as_posix()}", path.read_bytes())
    return buffer.getvalue()


def section_of(filename: str) -> str:
    """Return the pack section a file of an uploaded zip belongs to (the entries unless another claims it)."""
    path = PurePosixPath(filename)
    if path.name in _OWNER:
        return _OWNER[path.name]
    return path.parent.name if path.parent.name in BY_NAME else "entries"


def _leave_alone(left: dict[str, list[str]], staged: Staged) -> None:
    for name, files in left.items():
        shown = "、".join(files[:3]) + (f" ほか{len(files) - 3}件" if len(files) > 3 else "")
        staged.notes.append(_LEFT_ALONE.get(name) or _LEFT_ALONE_OTHERWISE.format(files=shown))


def _cell(name: str, value: Any) -> str:
    if name in LIST_FIELDS:
        return "\n".join(value)
    return status_label(value) if name == "status" else value


def export_csv() -> bytes:
    """Return the entries as CSV for Excel: Japanese headers and states, lists one item per line."""
    rows = ([_cell(n, e.content()[n]) for n in FIELD_ORDER] for e in _entries_for_export())
    return csvsafe.to_bytes([field_label(n) for n in FIELD_ORDER], rows)


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
        elif name == "status":
            data[name] = status_key(value)
        else:
            data[name] = value.strip()
    # An empty optional cell means "not set", as an absent key does in YAML.
    return {k: v for k, v in data.items() if v not in ("", [])} | {
        k: data.get(k, "") for k in ("slug", "title", "category", "answer", "source", "status")}


def _parse_csv(raw: bytes, staged: Staged) -> list[tuple[str, Any]]:
    try:
        table = csvsafe.read(raw, max_rows=MAX_UPLOAD_ENTRIES)
    except Invalid as exc:
        staged.problems.append(Problem(staged.filename, "-", str(exc)))
        return []
    staged.encoding = table.encoding
    if not table.header:
        staged.problems.append(Problem(staged.filename, "-", "見出しの行がありません"))
        return []
    keys: list[str | None] = []
    for header in table.header:
        key = field_key(header)
        if key not in FIELD_ORDER:
            staged.problems.append(Problem("1行目", header[:40], "不明な列です"))
            key = None
        elif key in keys:
            staged.problems.append(Problem("1行目", header[:40], f"「{field_label(key)}」の列が2つあります"))
            key = None
        keys.append(key)
    rows = []
    for number, cells in table.rows:
        if not any(c.strip() for c in cells):
            continue
        # Excel's row number (the header is row 1), not the file line: cells may hold several lines.
        where = f"{number}行目"
        if len(cells) > len(keys):
            staged.problems.append(Problem(where, "-", "見出しより列が多い行です"))
            continue
        row = {key: cells[i] if i < len(cells) else "" for i, key in enumerate(keys) if key}
        rows.append((where, _row_to_entry(row)))
    return rows


def _entry_files(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    files = []
    for info in archive.infolist():
        name = PurePosixPath(info.filename).name
        if not info.is_dir() and name.endswith((".yaml", ".yml")) and not name.startswith("."):
            files.append(info)
    return files


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """Return a member's bytes, or None when it unpacks to more than limit (whatever it declares)."""
    with archive.open(info) as member:
        data = member.read(limit + 1)
    return None if len(data) > limit else data


def _parse_zip(raw: bytes, staged: Staged) -> list[tuple[str, Any]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        files = _entry_files(archive)
    except _ZIP_ERRORS:
        staged.problems.append(Problem(staged.filename, "-", "ZIPファイルとして読み取れません"))
        return []
    if len(files) > MAX_UPLOAD_ENTRIES + 1:
        staged.problems.append(Problem(staged.filename, "-", f"一度に取り込めるのは{MAX_UPLOAD_ENTRIES}件までです"))
        return []
    if sum(info.file_size for info in files) > MAX_UNPACKED:
        staged.problems.append(Problem(staged.filename, "-", f"展開すると大きすぎます（合計{MAX_UNPACKED // 2**20}MBまで）"))
        return []
    budget = MAX_UNPACKED
    rows = []
    left: dict[str, list[str]] = {}
    with archive:
        for info in files:
            name = PurePosixPath(info.filename).name
            section = section_of(info.filename)
            if section not in STAGED_SECTIONS:
                # Not even read: another page (or `flask kb import`) changes this section.
                left.setdefault(section, []).append(name if name in _OWNER else f"{section}/{name}")
                continue
            too_big = Problem(name, "-", f"ファイルが大きすぎます（1件{MAX_ENTRY_FILE // 1024}KBまで）")
            if info.file_size > MAX_ENTRY_FILE:
                staged.problems.append(too_big)
                continue
            try:
                data = _read_member(archive, info, min(MAX_ENTRY_FILE, budget))
            except _ZIP_ERRORS:
                staged.problems.append(Problem(name, "-", "ZIPの中のファイルが壊れています（CRCや大きさが合いません）"))
                continue
            if data is None:
                # The member unpacks to more than it declares (a zip bomb), or past the total.
                staged.problems.append(too_big if budget >= MAX_ENTRY_FILE else Problem(
                    name, "-", f"展開すると大きすぎます（合計{MAX_UNPACKED // 2**20}MBまで）"))
                break
            budget -= len(data)
            try:
                raw_entry = yaml.load(data.decode("utf-8"), Loader=_YAML_LOADER)
            except UnicodeDecodeError:
                staged.problems.append(Problem(name, "-", "UTF-8のテキストではありません"))
                continue
            except (yaml.YAMLError, ValueError, TypeError) as exc:
                staged.problems.append(Problem(name, "-", f"YAMLとして読み取れません: {exc}"[:300]))
                continue
            if section == "offices":
                _stage_offices(raw_entry, name, staged)
                continue
            if section == "shelters":
                _stage_shelters(raw_entry, name, staged)
                continue
            slug = raw_entry.get("slug") if isinstance(raw_entry, dict) else None
            if isinstance(slug, str) and slug and PurePosixPath(name).stem != slug:
                staged.problems.append(Problem(name, "slug", f"ファイル名は {slug[:80]}.yaml にしてください"))
            rows.append((name, raw_entry))
    _leave_alone(left, staged)
    return rows


def _stage_offices(raw: Any, name: str, staged: Staged) -> None:
    problems = validate_offices(raw, name)
    staged.problems.extend(problems)
    if not problems:
        staged.offices = [normalise_office(o) for o in raw or []]
        staged.notes.append(f"{OFFICES_FILE}（担当課 {len(staged.offices)}件）も取り込みます。ファイルの内容で上書きします。")


def _stage_shelters(raw: Any, name: str, staged: Staged) -> None:
    problems = validate_shelters(raw, name)
    staged.problems.extend(problems)
    if not problems:
        staged.shelters = [normalise_shelter(s) for s in (raw or {}).get("shelters") or []]
        staged.notes.append(f"{SHELTERS_FILE}（避難所 {len(staged.shelters)}件）も取り込みます。"
                            "避難所の開設・満などの状況は変わりません。")


def parse_upload(filename: str, raw: bytes) -> Staged:
    """Read an uploaded CSV or zip, validate every entry and plan the changes; write nothing."""
    staged = Staged(filename=filename)
    lower = filename.lower()
    if lower.endswith(".csv"):
        rows = _parse_csv(raw, staged)
    elif lower.endswith(".zip"):
        rows = _parse_zip(raw, staged)
    else:
        staged.problems.append(Problem(filename, "-", "CSV（.csv）かYAMLのZIP（.zip）を選んでください"))
        return staged
    if len(rows) > MAX_UPLOAD_ENTRIES:
        staged.problems.append(Problem(filename, "-", f"一度に取り込めるのは{MAX_UPLOAD_ENTRIES}件までです"))
        return staged
    if not rows and not staged.problems:
        staged.problems.append(Problem(filename, "-", "取り込む項目がありません"))
    existing = {e.slug: e for e in db.session.scalars(select(Entry))}
    seen: dict[str, str] = {}
    for where, raw_entry in rows:
        slug = raw_entry.get("slug") if isinstance(raw_entry, dict) else None
        current = existing.get(slug) if isinstance(slug, str) else None
        problems = check_entry(raw_entry, file=where, existing_id=current.id if current else None,
                               known_offices={o["key"] for o in staged.offices or []})
        staged.problems.extend(problems)
        if problems:
            continue
        if slug in seen:
            staged.problems.append(Problem(where, "slug", f"{seen[slug]} と識別名が重複しています"))
            continue
        seen[slug] = where
        data = normalise_entry(raw_entry)
        staged.entries.append(data)
        staged.plan.append(_plan(data, current, staged.encoding))
    return staged


def _text(value: Any) -> str:
    return "\n".join(value) if isinstance(value, list) else str(value or "")


def _plan(data: dict[str, Any], current: Entry | None, encoding: str) -> PlannedChange:
    if current is None:
        return PlannedChange(data["slug"], data["title"], "create")
    before = current.content()
    fields = [n for n in FIELD_ORDER if before.get(n) != data.get(n)]
    lost = {}
    for name in fields:
        chars = lost_characters(_text(before.get(name)), _text(data.get(name)), best_fit=encoding == "cp932")
        if chars:
            lost[name] = chars
    if current.archived:
        fields.append("archived")
    return PlannedChange(data["slug"], data["title"], "update" if fields else "unchanged", fields,
                         current.lock_version, lost)


def before_after(staged: Staged) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Return, by slug, the stored and the uploaded content of every entry the upload updates."""
    updating = {p.slug for p in staged.plan if p.action == "update"}
    current = {e.slug: e.content() for e in db.session.scalars(select(Entry).where(Entry.slug.in_(updating)))}
    return {d["slug"]: (current[d["slug"]], d) for d in staged.entries if d["slug"] in current}


def staging_dir() -> Path:
    """Return the folder where previewed uploads wait to be applied."""
    return Path(current_app.instance_path) / "imports"


def purge_staged(directory: Path, now: float | None = None) -> int:
    """Delete staged uploads older than STAGED_SECONDS; return how many."""
    if not directory.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - STAGED_SECONDS
    count = 0
    for path in directory.glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                count += 1
        except FileNotFoundError:  # another worker purged it first
            continue
    return count


def discard(directory: Path, token: str) -> None:
    """Delete one staged upload (applied, or refused for good)."""
    if _TOKEN_RE.match(token or ""):
        (directory / f"{token}.json").unlink(missing_ok=True)


def stage(staged: Staged, directory: Path) -> str:
    """Keep a valid upload on disk until staff confirm it; return its token."""
    directory.mkdir(parents=True, exist_ok=True)
    staged.token = secrets.token_hex(16)
    (directory / f"{staged.token}.json").write_text(json.dumps(asdict(staged), ensure_ascii=False), encoding="utf-8")
    return staged.token


def _problem(raw: dict[str, str]) -> Problem:
    # A file staged before this release names its parts where/field/reason.
    return Problem(raw.get("file", raw.get("where", "")), raw["field"], raw.get("message", raw.get("reason", "")))


def load_staged(directory: Path, token: str) -> Staged:
    """Return a staged upload, or raise ImportRefused when it is unknown or expired."""
    if not _TOKEN_RE.match(token or ""):
        raise ImportRefused("取り込みの受付番号が正しくありません。もう一度ファイルを選んでください。")
    path = directory / f"{token}.json"
    try:
        expired = path.stat().st_mtime < time.time() - STAGED_SECONDS
    except FileNotFoundError:
        expired = None
    if expired is None or expired:
        path.unlink(missing_ok=True)
        raise ImportRefused("この取り込みは見つかりません（適用済みか、確認から1時間を過ぎました）。もう一度ファイルを選んでください。")
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Staged(
        filename=raw["filename"], entries=raw["entries"], token=raw["token"], notes=raw["notes"],
        encoding=raw.get("encoding", "utf-8"), offices=raw.get("offices"), shelters=raw.get("shelters"),
        problems=[_problem(p) for p in raw["problems"]], plan=[PlannedChange(**p) for p in raw["plan"]],
    )


def apply_staged(staged: Staged, actor: str, directory: Path | None = None, *,
                 confirm_lost: bool = False) -> dict[str, int]:
    """Apply every planned change in one transaction, or none of them."""
    # Fields suspected of lost characters keep their stored text unless the clerk confirmed them.
    if not staged.ok:
        raise ImportRefused("問題のある行があるため取り込みません。ファイルを直してから、もう一度選んでください。")
    counts = {"create": 0, "update": 0, "unchanged": 0, "kept": 0}
    changed = False
    try:
        if staged.offices is not None:
            # Before the entries, which name them; the clerk chose this file, so it wins over console edits.
            changed = import_offices(staged.offices, force=True, author=actor).changed
        if staged.shelters is not None:
            # Statuses stay as staff set them: the file corrects names and addresses, never opens a shelter.
            changed = import_shelters(staged.shelters, force=True, author=actor).changed or changed
        existing = {e.slug: e for e in db.session.scalars(select(Entry))}
        for data, planned in zip(staged.entries, staged.plan):
            entry = existing.get(data["slug"])
            if (entry is None) != (planned.action == "create") or (
                    entry is not None and entry.lock_version != planned.lock_version):
                raise ImportRefused(
                    f"確認画面を表示した後に「{planned.title}」が変更されました。もう一度ファイルを選んでください。")
            if entry is not None and planned.lost and not confirm_lost:
                # The clerk did not confirm: the stored text stays where the file looks damaged.
                stored = entry.content()
                data = {**data, **{name: stored[name] for name in planned.lost}}
                counts["kept"] += len(planned.lost)
            problems = check_entry(data, file=data["slug"], existing_id=entry.id if entry else None,
                                   known_offices={o["key"] for o in staged.offices or []})
            if problems:
                raise ImportRefused(f"「{planned.title}」: {problems[0].message}")
            restored = entry is not None and entry.archived
            if restored:
                # Importing an archived entry brings it back, as the preview said.
                entry.archived = False
            # One version bump for the whole import: workers rebuild their index once.
            result = write_entry(entry, data, actor, reason="import", bump=False)
            changed = changed or result.changed or restored
            action = planned.action if planned.action == "create" or result.changed or restored else "unchanged"
            counts[action] += 1
        if changed:
            bump_version()
        kept = f"・文字化けの疑いで残した項目{counts['kept']}件" if counts["kept"] else ""
        audit.record(actor, "import", "pack", staged.filename, f"{staged.filename} を取り込み（新規{counts['create']}件・"
                     f"変更{counts['update']}件{kept}）", None, counts)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if directory is not None:
        discard(directory, staged.token)
    return counts
