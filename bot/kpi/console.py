"""管理画面 → KPI: the board as staff see it, one KPI's page (enter an actual, its history, withdraw a mistaken one)
and the CSV for the 推進会議. Admins and editors alike: the numbers come from the offices that count them, every
entry names its source and is audited, and a mistaken one is withdrawn, never erased."""
from __future__ import annotations

from decimal import Decimal

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from bot.core.access import staff_required
from bot.core.blueprint import bp
from bot.core.inputs import attach_errors
from bot.core.limits import limited
from bot.core.problems import Invalid
from bot.extensions import db
from bot.kpi import charts, store
from bot.kpi.inputs import ActualForm, WithdrawForm
from bot.kpi.pack import LIVE
from bot.models import Kpi, KpiActual
from bot.models.timeutil import local_stamp


def _kpi_or_404(kpi_id: int) -> Kpi:
    kpi = db.session.get(Kpi, kpi_id)
    if kpi is None or kpi.retired:
        abort(404)
    return kpi


@bp.get("/kpi")
@staff_required
def kpi_list():
    """Show every KPI with its current actual (or 未入力), its progress and a link to enter a new value."""
    return render_template("kpi/console.html", readings=store.board())


def _detail(kpi: Kpi, form: ActualForm, status: int = 200):
    r = store.reading(kpi)
    return render_template("kpi/detail.html", r=r, form=form, history=store.history(kpi),
                           chart=charts.chart(r, store.series(kpi), f"chart-{kpi.key}"), live=LIVE.get(kpi.live, ""),
                           withdraw_form=WithdrawForm(formdata=None), entered_text=store.entered_text,
                           shown=lambda a: store.value_text(kpi, Decimal(a.value)), milestone=store.MILESTONE), status


@bp.route("/kpi/<int:kpi_id>", methods=["GET", "POST"])
@staff_required
def kpi_detail(kpi_id: int):
    """One KPI: the plan's numbers, enter an actual with its date and source, and the history of every entry."""
    kpi = _kpi_or_404(kpi_id)
    form = ActualForm()
    if form.validate_on_submit():
        try:
            actual = store.record_actual(kpi, form.value.data or "", form.as_of.data or "", form.source.data or "",
                                         form.note.data or "", current_user.email)
        except Invalid as exc:
            attach_errors(form, exc.errors)
            return _detail(kpi, form, 400)
        flash(f"「{kpi.name}」の実績 {store.value_text(kpi, Decimal(actual.value))}（{store.jdate(actual.as_of)}）を"
              "入力しました。公開ページに反映されます。", "info")
        return redirect(url_for("admin.kpi_detail", kpi_id=kpi.id))
    return _detail(kpi, form, 400 if form.errors else 200)


@bp.post("/kpi/<int:kpi_id>/actuals/<int:actual_id>/withdraw")
@staff_required
def kpi_withdraw(kpi_id: int, actual_id: int):
    """Withdraw a mistaken actual (kept in the history with who and why)."""
    kpi = _kpi_or_404(kpi_id)
    actual = db.session.get(KpiActual, actual_id)
    if actual is None or actual.kpi_id != kpi.id:
        abort(404)
    form = WithdrawForm()
    if not form.validate_on_submit():
        reasons = [m for messages in form.errors.values() for m in messages]
        flash("取り消せませんでした。" + ("、".join(reasons) if reasons else "画面を開き直してから、もう一度お試しください。"), "error")
    else:
        try:
            done = store.withdraw_actual(actual, form.reason.data or "", current_user.email)
        except Invalid as exc:
            flash("取り消せませんでした。" + exc.message, "error")
        else:
            flash("実績を取り消しました（履歴には残ります）。" if done else "この実績はすでに取り消されています。", "info")
    return redirect(url_for("admin.kpi_detail", kpi_id=kpi.id) + "#history")


@bp.get("/kpi/export.csv")
@staff_required
@limited("console_export")
def kpi_export():
    """Download the board as CSV for the 推進会議 papers (Excel-friendly, formula-safe); audited."""
    body, count = store.csv_bytes()
    store.record_export(count, current_user.email)
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=kpi-{local_stamp()}.csv"})
