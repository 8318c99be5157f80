"""Services own the transaction: the doors (webhook, CLI, console pages) parse, call one service and answer.

A door that commits, adds or deletes rows or writes audit rows itself is a service hiding in a view: this test
reads the source of the doors that are thin today and fails when one of them starts writing on its own.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THIN = (
    "bot/cli.py", "bot/line/webhook.py", "bot/admin/views/session.py", "bot/admin/views/readiness.py",
    "bot/admin/views/overview.py", "bot/admin/views/audit.py", "bot/admin/readiness.py", "bot/admin/auth.py",
    "bot/staff/console.py", "bot/staff/cli.py", "bot/pack/console.py", "bot/pack/cli.py", "bot/knowledge/cli.py",
    "bot/conversation/cli.py", "bot/towns/console.py", "bot/towns/cli.py",
    "bot/kpi/console.py", "bot/kpi/cli.py", "bot/kpi/views.py",
    "bot/booking/console.py", "bot/booking/cli.py", "bot/booking/views.py", "bot/booking/line.py",
)
WRITES = {("session", "commit"), ("session", "add"), ("session", "add_all"), ("session", "delete"),
          ("audit", "record")}


def writes(source: str) -> list[str]:
    """Return the calls in source that write on their own: db.session.commit/add/delete, audit.record."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, node.func.attr) in WRITES:
                found.append(f"line {node.lineno}: {name}.{node.func.attr}()")
    return found


@pytest.mark.parametrize("path", THIN)
def test_the_door_leaves_writing_to_the_services(path):
    assert writes((ROOT / path).read_text(encoding="utf-8")) == []


def test_the_check_sees_a_commit_an_add_and_an_audit_row():
    source = "def view():\n    db.session.add(x)\n    audit.record('a')\n    db.session.commit()\n    db.session.rollback()\n"
    assert writes(source) == ["line 2: session.add()", "line 3: audit.record()", "line 4: session.commit()"]
