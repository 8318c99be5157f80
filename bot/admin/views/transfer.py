"""Import and export the knowledge: YAML zip and Excel-friendly CSV, with a preview before applying."""
from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from bot.core.access import admin_required, staff_required
from bot.core.blueprint import bp
from bot.core.limits import limited
from bot.knowledge.diff import field_diffs
from bot.admin.inputs import ApplyImportForm, ImportForm
from bot.admin.importdiff import compact
from bot.bodylimits import body_limit, limit_text
from bot.pack import transfer
from bot.knowledge.labels import field_label, status_label
from bot.models.timeutil import local_stamp


def _stamp() -> str:
    return local_stamp()  # the town's time, as staff read the clock


def _readable(data: dict) -> dict:
    return {**data, "status": status_label(data.get("status", ""))}


def _page(form: ImportForm, staged: transfer.Staged | None = None, status: int = 200):
    diffs = {}
    if staged is not None and staged.ok:
        diffs = {slug: [(d, compact(d)) for d in field_diffs(_readable(before), _readable(after))]
                 for slug, (before, after) in transfer.before_after(staged).items()}
    apply_form = ApplyImportForm(formdata=None, token=staged.token) if staged else None
    return render_template("admin/transfer.html", form=form, staged=staged, apply_form=apply_form, diffs=diffs,
                           field_label=field_label, import_limit=limit_text(current_app.config["MAX_IMPORT_BYTES"])
                           ), status


@bp.get("/transfer")
@staff_required
def transfer_page():
    """Offer downloads, and the upload form to admins."""
    return _page(ImportForm())


@bp.get("/export.zip")
@staff_required
@limited("console_export")
def export_zip():
    """Download the pack as YAML files in a zip."""
    synonyms = Path(current_app.config["KNOWLEDGE_DIR"]) / "synonyms.yaml"
    return Response(transfer.export_zip(synonyms), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="knowledge-{_stamp()}.zip"'})


@bp.get("/export.csv")
@staff_required
@limited("console_export")
def export_csv():
    """Download the entries as CSV (UTF-8 with BOM, opens in Excel)."""
    return Response(transfer.export_csv(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="knowledge-{_stamp()}.csv"'})


@bp.post("/import")
@body_limit("MAX_IMPORT_BYTES")
@admin_required
@limited("console_import")
def import_preview():
    """Validate an upload and show what applying it would change; write nothing yet."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    upload = form.file.data
    staged = transfer.parse_upload(upload.filename or "upload", upload.read())
    transfer.purge_staged(transfer.staging_dir())
    if staged.ok:
        transfer.stage(staged, transfer.staging_dir())
    return _page(form, staged)


@bp.post("/import/apply")
@admin_required
@limited("console_import")
def import_apply():
    """Apply a previewed upload, all or nothing."""
    form = ApplyImportForm()
    if form.validate_on_submit():
        try:
            staged = transfer.load_staged(transfer.staging_dir(), form.token.data)
            counts = transfer.apply_staged(staged, current_user.email, transfer.staging_dir(),
                                           confirm_lost=form.confirm_lost.data)
        except transfer.ImportRefused as exc:
            # A refused upload cannot succeed later: its preview no longer matches the knowledge.
            transfer.discard(transfer.staging_dir(), form.token.data)
            flash(str(exc), "error")
        else:
            kept = f"文字が失われた可能性のある{counts['kept']}項目は、今の内容のまま残しました。" if counts["kept"] else ""
            flash(f"取り込みました：新規{counts['create']}件、変更{counts['update']}件、"
                  f"変更なし{counts['unchanged']}件。{kept}", "info")
    return redirect(url_for("admin.transfer_page"))
