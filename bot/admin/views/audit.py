"""The audit log (admins only): who changed what, when, before and after."""
from __future__ import annotations

import json

from flask import render_template, request
from sqlalchemy import func, select

from bot.core.access import admin_required
from bot.core.blueprint import bp
from bot.core.labels import action_label, actor_label, readable
from bot.extensions import db
from bot.models import AuditLog
from bot.urlnumbers import page_number

PAGE = 50


@bp.get("/audit")
@admin_required
def audit_log():
    """List audit records, newest first, filterable by action or target."""
    page = page_number(PAGE)
    query = select(AuditLog)
    target = request.args.get("target", "")[:80]
    if target:
        query = query.where(AuditLog.target_id == target)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(AuditLog.id.desc()).offset((page - 1) * PAGE).limit(PAGE)).all()
    return render_template("admin/audit.html", rows=rows, page=page, pages=max((total + PAGE - 1) // PAGE, 1),
                           target=target, pretty=_pretty, action_label=action_label,
                           actor_label=actor_label)


def _pretty(value) -> str:
    if value is None:
        return ""
    return json.dumps(readable(value), ensure_ascii=False, indent=1, sort_keys=True).replace(
        ": true", ": はい").replace(": false", ": いいえ").replace(": null", ": なし")
