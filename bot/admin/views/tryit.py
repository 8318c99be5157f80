""""Try it": what the bot would answer to a question, and why."""
from __future__ import annotations

from flask import render_template, request

from bot.core.access import staff_required
from bot.core.blueprint import bp
from bot.admin.inputs import TryForm
from bot.core.labels import reason_label
from bot.admin.preview import try_question


@bp.get("/try")
@staff_required
def try_it():
    """Show outcome, top candidates with scores and reasons, and the reply itself."""
    form = TryForm(request.args)
    trial = try_question(form.q.data.strip(), bool(form.drafts.data)) if request.args and form.validate() else None
    return render_template("admin/try.html", form=form, trial=trial, reason_label=reason_label)
