"""`kb check`, `kb import` and `kb export`: the pack's commands (bot/cli.py hangs them on the `kb` group)."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.core.problems import Problem
from bot.knowledge.categories import near_duplicates
from bot.knowledge.pack import CATEGORIES_FILE
from bot.knowledge.index import load_synonyms
from bot.pack import Invalid, export_pack, import_pack, read_pack


def _pack_dir(directory: str | None) -> str:
    return directory or current_app.config["KNOWLEDGE_DIR"]


def _read_or_exit(directory: str):
    try:
        return read_pack(directory)
    except Invalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)}件の問題があります。何も変更していません。", err=True)
        sys.exit(1)


@click.command("check")
@with_appcontext
@click.argument("directory", required=False)
def kb_check(directory: str | None) -> None:
    """Validate a pack and report every problem as file, field and reason."""
    pack = _read_or_exit(_pack_dir(directory))
    # Two spellings of one category split the greeting and the menu in two (子育て･教育 / 子育て・教育).
    used = list(dict.fromkeys([*pack.categories, *(e["category"] for e in pack.entries)]))
    close = [Problem(CATEGORIES_FILE, "-", f"「{a}」と「{b}」は同じカテゴリに見えます（{why}）")
             for a, b, why in near_duplicates(used)]
    for problem in close:
        click.echo(str(problem), err=True)
    if close:
        click.echo(f"カテゴリ名に{len(close)}件の問題があります。", err=True)
        sys.exit(1)
    click.echo(f"OK: {len(pack.entries)} entries, {len(pack.categories)} categories, "
               f"{len(pack.synonyms)} synonym groups, {pack.safety_rules} safety rules, {len(pack.offices or [])} offices,"
               f" {len(pack.forms)} forms, {len(pack.shelters or [])} shelters, {len(pack.kpi or [])} KPIs,"
               f" {len(pack.facilities or [])} facilities.")


@click.command("import")
@with_appcontext
@click.argument("directory", required=False)
@click.option("--force", is_flag=True, help="Overwrite entries that staff edited since the last import.")
def kb_import(directory: str | None, force: bool) -> None:
    """Import a pack atomically: upsert by slug, keep staff edits unless --force."""
    pack = _read_or_exit(_pack_dir(directory))
    report = import_pack(pack, force=force)
    click.echo(f"created {len(report.created)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}")
    for slug in report.form_versions:
        click.echo(f"form {slug}: new version")
    for slug in report.kept_staff_edits:
        click.echo(f"kept staff edit: {slug} (changed in the console since the last import; use --force to overwrite)")
    if report.offices is not None:
        offices = report.offices
        click.echo(f"offices: created {len(offices.created)}, updated {len(offices.updated)}, "
                   f"unchanged {len(offices.unchanged)}")
        for key in offices.kept_staff_edits:
            click.echo(f"kept staff edit: office {key} (changed in the console since the last import; use --force)")
    if report.shelters is not None:
        shelters = report.shelters
        click.echo(f"shelters: created {len(shelters.created)}, updated {len(shelters.updated)}, "
                   f"unchanged {len(shelters.unchanged)} (statuses are never changed by an import)")
        for key in shelters.kept_staff_edits:
            click.echo(f"kept staff edit: shelter {key} (changed in the console since the last import; use --force)")
    if report.kpi is not None:
        kpis = report.kpi
        click.echo(f"KPIs: created {len(kpis.created)}, updated {len(kpis.updated)}, unchanged {len(kpis.unchanged)}"
                   " (actual values are never changed by an import)")
    if report.facilities is not None:
        found = report.facilities
        click.echo(f"facilities: created {len(found.created)}, updated {len(found.updated)}, "
                   f"unchanged {len(found.unchanged)} (bookings are never changed by an import)")


@click.command("export")
@with_appcontext
@click.argument("directory")
def kb_export(directory: str) -> None:
    """Write the entries in the database back to a pack directory."""
    count = export_pack(directory, load_synonyms(current_app.config["KNOWLEDGE_DIR"]))
    click.echo(f"wrote {count} entries to {directory}")


PACK_COMMANDS = (kb_check, kb_import, kb_export)
