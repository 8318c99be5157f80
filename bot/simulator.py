"""A chat simulator page that talks to the same conversation code as the webhook, with the rich menu under it."""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session

from bot.conversation import Incoming, respond, simulated

log = logging.getLogger(__name__)
bp = Blueprint("simulator", __name__)

MAX_SIMULATOR_TEXT = 10_000
SESSION_KEY = "simulated_resident"


@bp.before_request
def _only_when_enabled():
    if not current_app.config["SIMULATOR_ENABLED"]:
        abort(404)


@bp.get("/")
def page():
    """Show the chat simulator, with the rich menu residents see now under it."""
    return render_template("simulator.html", menu=_menu())


def _menu() -> dict[str, Any] | None:
    """Return the menu LINE shows now (the disaster menu in disaster mode) as the simulator draws it; None if none."""
    from bot.richmenu.build import build_spec
    from bot.richmenu.definition import LAYOUTS, MODE_LABELS
    from bot.richmenu.mode import active_mode

    mode = active_mode()
    try:
        spec = build_spec(mode)
    except Exception as exc:  # no definition, a broken one, no font: the chat works without a menu
        log.warning("simulator: no %s rich menu to show (%s)", mode, type(exc).__name__)
        return None
    layout = LAYOUTS[(spec.definition or {}).get("layout", "")]
    tiles_def = (spec.definition or {}).get("tiles", [])
    tiles = [{"index": i, "label": tiles_def[i].get("label", "") if i < len(tiles_def) else area.action.get("label", ""),
              "sub": tiles_def[i].get("sub", "") if i < len(tiles_def) else "", "action": area.action}
             for i, area in enumerate(spec.areas)]
    return {"mode": mode, "label": MODE_LABELS[mode], "rows": layout.rows, "cols": layout.cols,
            "width": spec.width, "height": spec.height, "chat_bar_text": spec.chat_bar_text, "tiles": tiles,
            "version": spec.fingerprint()[:16], "image": spec.image, "image_type": spec.image_type}


@bp.get("/simulator/richmenu.png")
def richmenu_image():
    """Return the image of the menu the simulator shows (the version in the query only busts the cache)."""
    menu = _menu()
    if menu is None:
        abort(404)
    response = Response(menu["image"], mimetype=menu["image_type"])
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def _plain(message: dict[str, Any]) -> str:
    """Return a reply message as plain text, for the page shown without scripts."""
    if message.get("type") == "text":
        return str(message.get("text", ""))
    return str(message.get("altText") or "（メッセージ）")


@bp.post("/simulator/tap")
def tap():
    """Do what a rich-menu tile does in LINE, for browsers without scripts: the page comes back with the answer."""
    menu = _menu()
    raw = request.form.get("tap", "")
    index = int(raw) if raw.isdigit() and len(raw) < 4 else -1
    if menu is None or not 0 <= index < len(menu["tiles"]):
        abort(400, "メニューのボタンが見つかりません。ページを読み込み直してから、もう一度押してください。")
    tile = menu["tiles"][index]
    action = tile["action"]
    if action["type"] == "uri":
        return redirect(action["uri"])
    if action["type"] == "postback":
        incoming = Incoming("postback", data=action.get("data", ""), user_id=_resident(), channel="simulator")
        shown = action.get("displayText") or tile["label"]
    else:
        incoming = Incoming("text", text=action.get("text", ""), user_id=_resident(), channel="simulator")
        shown = action.get("text", "")
    reply = respond(incoming)
    exchange = [("user", shown)] + [("bot", _plain(m)) for m in reply.messages]
    return render_template("simulator.html", menu=menu, exchange=exchange)


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
