"""Load and save the rich menus: the database wins, the pack's richmenu.yaml is the default."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from flask import current_app

from bot.core import audit
from bot.core.problems import FORM, Invalid, Problem
from bot.core.tenancy import keyed
from bot.extensions import db
from bot.knowledge import categories
from bot.models import RichMenuDefinition, utcnow
from bot.richmenu import packfile
from bot.richmenu.definition import MODE_LABELS, describe, normalise, validate
from bot.richmenu.packfile import RICHMENU_FILE
from bot.richmenu.spec import MODES

@dataclass(frozen=True)
class StoredMenu:
    """One mode's menu as it stands: the definition, the uploaded image if any, and where it came from."""

    mode: str
    definition: dict[str, Any]
    image: bytes | None = None
    image_type: str | None = None
    revision: int = 0  # 0: not edited yet, the pack's menu
    updated_by: str = ""


def _known_categories() -> list[str] | None:
    return categories.names() or None  # a fresh database without categories checks nothing rather than everything


def load(mode: str) -> StoredMenu:
    """Return the mode's menu: the console's if staff saved one, else the pack's."""
    if mode not in MODES:
        raise ValueError(f"unknown rich-menu mode {mode!r}")
    row = keyed(RichMenuDefinition, mode)
    if row is not None:
        return StoredMenu(mode, copy.deepcopy(row.definition), row.image, row.image_type, row.revision, row.updated_by)
    menus, problems = packfile.read(current_app.config["KNOWLEDGE_DIR"])
    if problems:
        raise Invalid(Problem(RICHMENU_FILE, where, reason) for where, reason in problems)
    if menus is None:
        raise Invalid("リッチメニューの定義がありません。管理画面のリッチメニューで作ってください。", file=RICHMENU_FILE)
    return StoredMenu(mode, menus[mode])


def check(definition: Any) -> dict[str, Any]:
    """Return the definition normalised; raise Invalid with every problem."""
    problems = validate(definition, _known_categories())
    if problems:
        raise Invalid(Problem(FORM, where, reason) for where, reason in problems)
    return normalise(definition)


def _current(mode: str) -> dict[str, Any] | None:
    try:
        return load(mode).definition
    except Invalid:  # no menu yet (or a broken pack file): the first save starts from nothing
        return None


def _row(mode: str, definition: dict[str, Any] | None = None) -> RichMenuDefinition:
    row = keyed(RichMenuDefinition, mode)
    if row is None:
        row = RichMenuDefinition(mode=mode, definition=definition or load(mode).definition, revision=0)
        db.session.add(row)
    return row


def _touch(row: RichMenuDefinition, actor: str) -> None:
    row.revision = (row.revision or 0) + 1
    row.updated_at, row.updated_by = utcnow(), actor


def _drop_mismatched_image(row: RichMenuDefinition, definition: dict[str, Any]) -> bool:
    # A designed image is drawn for one grid; on another layout its pictures would sit off the tap areas.
    if row.image is None or (row.definition or {}).get("layout") == definition["layout"]:
        return False
    row.image, row.image_type = None, None
    return True


def save(mode: str, definition: Any, actor: str) -> bool:
    """Validate, store and commit the mode's definition, audited; return True if a new layout dropped the image."""
    clean = check(definition)
    before = _current(mode)
    row = _row(mode, clean)
    dropped = _drop_mismatched_image(row, clean)
    row.definition = clean
    _touch(row, actor)
    summary = f"{MODE_LABELS[mode]}を編集" + ("（形を変えたため画像を削除）" if dropped else "")
    audit.record(actor, "richmenu.edit", "richmenu", MODE_LABELS[mode], summary, describe(before), describe(clean))
    db.session.commit()
    return dropped


def _image_note(image: bytes | None, image_type: str | None) -> dict[str, str]:
    if image is None:
        return {"画像": "なし（ボタンの文字から自動で作る）"}
    kind = {"image/png": "PNG", "image/jpeg": "JPEG"}.get(image_type or "", "画像")
    return {"画像": f"登録した{kind}（{max(1, len(image) // 1024)}KB）"}


def set_image(mode: str, image: bytes, image_type: str, actor: str) -> RichMenuDefinition:
    """Store a validated uploaded image for the mode, audited and committed."""
    row = _row(mode)
    before = _image_note(row.image, row.image_type)
    row.image, row.image_type = image, image_type
    _touch(row, actor)
    audit.record(actor, "richmenu.image_upload", "richmenu", MODE_LABELS[mode], f"{MODE_LABELS[mode]}の画像を登録", before,
                 _image_note(image, image_type))
    db.session.commit()
    return row


def clear_image(mode: str, actor: str) -> RichMenuDefinition:
    """Drop the uploaded image so the menu is rendered from its labels again, audited and committed."""
    row = _row(mode)
    before = _image_note(row.image, row.image_type)
    row.image, row.image_type = None, None
    _touch(row, actor)
    audit.record(actor, "richmenu.image_clear", "richmenu", MODE_LABELS[mode], f"{MODE_LABELS[mode]}の画像を削除（自動作成に戻す）",
                 before, _image_note(None, None))
    db.session.commit()
    return row


def all_menus() -> dict[str, dict[str, Any]]:
    """Return every mode's current definition, for `kb export`."""
    return {mode: load(mode).definition for mode in MODES}


def import_menus(menus: dict[str, dict[str, Any]], *, force: bool, author: str) -> list[str]:
    """Store a pack's menus, keeping ones staff edited since unless forced; return the kept modes as richmenu:<mode>.

    Audited; the pack's import commits, with every other section, in one transaction.
    """
    kept = []
    for mode in MODES:
        incoming = normalise(menus[mode])
        row = keyed(RichMenuDefinition, mode)
        if row is not None and row.definition == incoming:
            continue
        if row is not None and row.updated_by != author and not force:
            kept.append(f"richmenu:{mode}")
            continue
        before = row.definition if row is not None else None
        if row is None:
            row = RichMenuDefinition(mode=mode, revision=0)
            db.session.add(row)
        _drop_mismatched_image(row, incoming)
        row.definition = incoming
        _touch(row, author)
        audit.record(author, "richmenu.import", "richmenu", MODE_LABELS[mode], f"{MODE_LABELS[mode]}を取り込み",
                     describe(before), describe(incoming))
    return kept


def export_menus(directory: str) -> bool:
    """Write the current menus to directory/richmenu.yaml; return False when there is no menu to write."""
    if keyed(RichMenuDefinition, MODES[0]) is None:
        menus, problems = packfile.read(current_app.config["KNOWLEDGE_DIR"])
        if menus is None or problems:
            return False
    packfile.write(directory, all_menus())
    return True
