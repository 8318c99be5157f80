"""The overview page: what needs attention this week."""
from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from bot.admin import stats
from bot.staff import grants
from bot.core.access import staff_required
from bot.core.blueprint import bp
from bot.admin.readiness import counts, launch_readiness
from bot.chat import store as chat_store
from bot.forms import kpi as forms_kpi
from bot.inbox.flagged import count_open_flagged
from bot.kpi import store as kpi_store


@bp.get("/")
@staff_required
def overview():
    """Show entries to review, unanswered questions, answer rates, feedback and most asked entries."""
    who = stats.audience(request.args.get("who"))
    return render_template(
        "admin/overview.html", review=stats.needing_review(), unanswered=stats.unanswered_this_week(),
        periods=[stats.period(7, who), stats.period(30, who)], most_asked=stats.most_asked(30, who=who),
        who=who, audiences=stats.AUDIENCES, readiness=counts(launch_readiness()),
        admin_grants=grants.admin_grants() if current_user.is_admin else None,
        unchecked_flagged=count_open_flagged(), safety_weeks=stats.safety_weeks(who=who), recent_flagged=stats.recent_flagged(who=who),
        kpi_readings=kpi_store.board(), chat_figures=chat_store.figures(), **forms_kpi.context(current_user),
    )

