"""The public notice pages: /notices, /notices/<id> and the Atom feed /notices.atom. No login, cacheable."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Sequence

from flask import Blueprint, Response, abort, render_template, request, url_for
from markupsafe import Markup, escape

from bot.extensions import db
from bot.models import Notice, utcnow
from bot.notices import feed, public
from bot.notices.schedule import local
from bot.publicurl import absolute, external_url
from bot.town.settings import current_town
from bot.urlnumbers import page_number

bp = Blueprint("public_notices", __name__)

PER_PAGE = 20
MAX_AGE = 60
NOT_PUBLIC = "このお知らせは公開されていないか、掲載期間が終わりました。お知らせの一覧をご覧ください。"
# Links in a body become links; anything else stays text. Japanese punctuation and brackets end a URL.
_URL = re.compile(r"https?://[^\s<>\"'「」『』（）()、。，．\u3000]+")


@bp.app_template_filter("autolink")
def autolink(text: str) -> Markup:
    """Return text escaped for HTML, with its http(s) URLs as links and its line breaks kept."""
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        parts.append(str(escape(text[last:match.start()])))
        url = escape(match.group(0))
        parts.append(f'<a href="{url}" rel="nofollow noopener">{url}</a>')
        last = match.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts).replace("\r\n", "\n").replace("\n", "<br>\n"))


def _visible(notices: Sequence[Notice]) -> list[dict]:
    return [{"id": n.id, "title": n.title, "body": n.body, "url": n.url,
             "from": (public.display_start(n) or feed.NEVER).isoformat(),
             "until": n.display_until.isoformat() if n.display_until else None} for n in notices]


def _cached(response: Response, visible: object, changed: datetime | None) -> Response:
    """Mark a public response cacheable and answer 304 when the reader's copy is current."""
    town = current_town()
    digest = hashlib.sha256(json.dumps([request.path, visible, town.name, town.website, absolute("/")], ensure_ascii=False,
                                       sort_keys=True, default=str).encode()).hexdigest()[:40]
    response.set_etag(digest)
    if changed is not None:
        response.last_modified = changed
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response.make_conditional(request)


def jdate(moment: datetime, with_time: bool = False) -> str:
    """Return a moment as a Japanese date in the town's time zone (2026年12月1日 19:30)."""
    here = local(moment)
    text = f"{here.year}年{here.month}月{here.day}日"
    return f"{text} {here:%H:%M}" if with_time else text


def _context(**kw) -> dict:
    return {"town": current_town(), "feed_url": url_for("public_notices.atom"), "jdate": jdate, **kw}


@bp.get("/notices")
def index():
    """List the notices published now, newest first."""
    now = utcnow()
    page = page_number(PER_PAGE)
    shown = public.displayed(None, now, "web")
    chunk = shown[(page - 1) * PER_PAGE:page * PER_PAGE]
    more = len(shown) > page * PER_PAGE
    body = render_template("notices/public/notices.html", notices=chunk, page=page, more=more,
                           starts={n.id: public.display_start(n) for n in chunk}, summary=feed.summary,
                           **_context())
    response = Response(body, mimetype="text/html")
    return _cached(response, [page, more, _visible(chunk)], public.last_change(None, now, "web"))


@bp.get("/notices/<int:notice_id>")
def show(notice_id: int):
    """Show one notice, only while it is published."""
    now = utcnow()
    notice = db.session.get(Notice, notice_id)
    if notice is None or not public.shown_now(notice, "web", now):
        abort(404, NOT_PUBLIC)
    start = public.display_start(notice)
    body = render_template("notices/public/notice.html", notice=notice, start=start, **_context())
    response = Response(body, mimetype="text/html")
    return _cached(response, _visible([notice]), start)


@bp.get("/notices.atom")
def atom():
    """Return the Atom feed of the notices published now."""
    now = utcnow()
    town = current_town()
    shown = public.displayed(None, now, "web")[:feed.MAX_ENTRIES]
    changed = public.last_change(None, now, "web")
    info = feed.FeedInfo(title=f"{town.name}のお知らせ", author=town.name, author_uri=town.website or "",
                         self_url=external_url("public_notices.atom"),
                         page_url=external_url("public_notices.index"))
    document = feed.build(info, shown, changed,
                          lambda n: external_url("public_notices.show", notice_id=n.id))
    response = Response(document, content_type="application/atom+xml; charset=utf-8")
    return _cached(response, _visible(shown), changed)
