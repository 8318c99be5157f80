"""A chat simulator page that talks to the same conversation code as the webhook."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from bot.conversation import Incoming, respond

bp = Blueprint("simulator", __name__)

MAX_SIMULATOR_TEXT = 10_000


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
        abort(400, "Send a JSON object.")
    kind = payload.get("kind", "text")
    if kind not in ("text", "postback", "follow"):
        abort(400, "kind must be text, postback or follow.")
    text = payload.get("text", "")
    data = payload.get("data", "")
    if not isinstance(text, str) or not isinstance(data, str) or len(text) > MAX_SIMULATOR_TEXT:
        abort(400, "text and data must be strings of reasonable length.")
    reply = respond(Incoming(kind, text=text, data=data, channel="simulator"))
    return {
        "outcome": reply.outcome,
        "entry": reply.entry_slug,
        "messages": reply.messages,
    }
