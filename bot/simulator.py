"""A chat simulator page that talks to the same conversation code as the webhook."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, session

from bot.conversation import Incoming, respond, simulated

bp = Blueprint("simulator", __name__)

MAX_SIMULATOR_TEXT = 10_000
SESSION_KEY = "simulated_resident"


@bp.before_request
def _only_when_enabled():
    if not current_app.config["SIMULATOR_ENABLED"]:
        abort(404)


@bp.get("/")
def page():
    """Show the chat simulator."""
    return render_template("simulator.html")


@bp.post("/simulator/send")
def send():
    """Run one simulated event through the conversation and return LINE message JSON."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, "JSON のオブジェクトを送ってください。")
    kind = payload.get("kind", "text")
    if kind not in ("text", "postback", "follow"):
        abort(400, "kind は text・postback・follow のどれかにしてください。")
    text = payload.get("text", "")
    data = payload.get("data", "")
    if not isinstance(text, str) or not isinstance(data, str) or len(text) > MAX_SIMULATOR_TEXT:
        abort(400, f"text と data は{MAX_SIMULATOR_TEXT}文字以内の文字列にしてください。")
    reply = respond(Incoming(kind, text=text, data=data, user_id=_resident(), channel="simulator"))
    return {
        "outcome": reply.outcome,
        "entry": reply.entry_slug,
        "messages": reply.messages,
    }


def _resident() -> str:
    """Return this browser session's simulated resident, so notice settings can be tried without LINE."""
    user_id = session.get(SESSION_KEY)
    if not simulated.is_simulated(user_id):
        user_id = session[SESSION_KEY] = simulated.new_browser_id()
    return user_id
