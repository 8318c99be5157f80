"""The public KPI board: /kpi (a progress bar and a chart per KPI, printable) and its Atom feed /kpi.atom.
No login, no cookie, cacheable like /notices; under a town's prefix (/<town>/kpi) it is that town's board."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from flask import Blueprint, Response, render_template, request, url_for

from bot.kpi import charts, feed, store
from bot.models import utcnow
from bot.models.timeutil import to_local
from bot.publicurl import absolute
from bot.town.settings import current_town

bp = Blueprint("public_kpi", __name__)

MAX_AGE = 60


def _state(readings: list[store.Reading]) -> list:
    return [[r.kpi.key, r.kpi.content(), str(r.value), r.as_of_text, r.source] for r in readings]


def _cached(response: Response, shown: object, changed: datetime | None) -> Response:
    """Mark a public response cacheable and answer 304 when the reader's copy is current."""
    town = current_town()
    digest = hashlib.sha256(json.dumps([request.path, shown, town.name, town.website, absolute("/")],
                                       ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()[:40]
    response.set_etag(digest)
    if changed is not None:
        response.last_modified = changed
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response.make_conditional(request)


@bp.get("/kpi")
def board():
    """Show every KPI of the plan with its baseline, target, current actual (or 未入力), a bar and a chart."""
    now = utcnow()
    readings = store.board(now)
    drawn = {r.kpi.key: charts.chart(r, store.series(r.kpi), f"chart-{r.kpi.key}") for r in readings}
    entered = sum(1 for r in readings if r.entered)
    body = render_template("kpi/board.html", town=current_town(), readings=readings, drawn=drawn, entered=entered,
                           feed_url=url_for("public_kpi.atom"), printed=store.jdate(to_local(now).date()))
    response = Response(body, mimetype="text/html")
    return _cached(response, [_state(readings), store.jdate(to_local(now).date())], store.last_change())


@bp.get("/kpi.atom")
def atom():
    """Return the Atom feed of the actual values staff entered, newest first."""
    town = current_town()
    updates = store.updates()
    changed = store.last_change()
    document = feed.build(title=f"{town.name}の総合戦略KPI", author=town.name,
                          page_url=absolute(url_for("public_kpi.board")), self_url=absolute(url_for("public_kpi.atom")),
                          updates=updates, updated=changed)
    response = Response(document, content_type="application/atom+xml; charset=utf-8")
    return _cached(response, [[u.id, u.kpi_id, u.value, str(u.as_of), u.source] for u in updates], changed)
