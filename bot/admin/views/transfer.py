"""Import and export the knowledge: YAML zip and Excel-friendly CSV, with a preview before applying."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from bot.admin.auth import admin_required, staff_required
from bot.admin.blueprint import bp
from bot.admin.forms import ApplyImportForm, ImportForm
from bot.knowledge import transfer

MAX_UPLOAD = 20 * 1024 * 1024


def _staging() -> Path:
    return Path(current_app.instance_path) / "imports"


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M")


@bp.get("/transfer")
@staff_required
def transfer_page():
    """Offer downloads, and the upload form to admins."""
    return render_template("admin/transfer.html", form=ImportForm(), staged=None)


@bp.get("/export.zip")
@staff_required
def export_zip():
    """Download the pack as YAML files in a zip."""
    synonyms = Path(current_app.config["KNOWLEDGE_DIR"]) / "synonyms.yaml"
    return Response(transfer.export_zip(synonyms), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="knowledge-{_stamp()}.zip"'})


@bp.get("/export.csv")
@staff_required
def export_csv():
    """Download the entries as CSV (UTF-8 with BOM, opens in Excel)."""
    return Response(transfer.export_csv(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="knowledge-{_stamp()}.csv"'})


@bp.post("/import")
@admin_required
def import_preview():
    """Validate an upload and show what applying it would change; write nothing yet."""
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("admin/transfer.html", form=form, staged=None), 400
    upload = form.file.data
    raw = upload.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        form.file.errors.append("ファイルが大きすぎます（20MBまで）。")
        return render_template("admin/transfer.html", form=form, staged=None), 400
    staged = transfer.parse_upload(upload.filename or "upload", raw)
    if staged.ok:
        transfer.stage(staged, _staging())
    return render_template("admin/transfer.html", form=form, staged=staged,
                           apply_form=ApplyImportForm(formdata=None, token=staged.token))


@bp.post("/import/apply")
@admin_required
def import_apply():
    """Apply a previewed upload, all or nothing."""
    form = ApplyImportForm()
    if form.validate_on_submit():
        try:
            staged = transfer.load_staged(_staging(), form.token.data)
            counts = transfer.apply_staged(staged, current_user.email, _staging())
        except transfer.ImportRefused as exc:
            flash(str(exc), "error")
        else:
            flash(f"取り込みました：新規{counts['create']}件、変更{counts['update']}件、変更なし{counts['unchanged']}件。", "info")
    return redirect(url_for("admin.transfer_page"))
