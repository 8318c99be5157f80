"""Switch disaster mode (災害時モード) on or off: publish that mode's menu, then change the town's state."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from flask import current_app, has_request_context

from bot.extensions import db
from bot.publicurl import base_url
from bot.richmenu import publish as publisher
from bot.richmenu.build import build_spec
from bot.richmenu.render import RenderError
from bot.richmenu.spec import MenuSpec
from bot.richmenu.store import RichMenuInvalid
from bot.town.settings import disaster_state, set_disaster_mode

log = logging.getLogger(__name__)

MAX_REASON_CHARS = 300


NO_BASE_URL = ("PUBLIC_BASE_URL が設定されていないため、メニューのボタンが開くこのサービスのページ（/forms/… など）の"
               "宛先が決まりません。PUBLIC_BASE_URL を設定してから公開するか、管理画面から公開してください。")


class ModeError(ValueError):
    """The switch was refused; the message is Japanese."""


@dataclass(frozen=True)
class ModeResult:
    """What the switch did: the mode now, and what happened to the LINE menu (a Japanese sentence each)."""

    on: bool
    menu_message: str
    menu_ok: bool


def active_mode() -> str:
    """Return the mode whose menu residents should see now."""
    return "disaster" if disaster_state().on else "normal"


def build(mode: str) -> MenuSpec:
    """Build the menu of a mode from the pack's definition."""
    return build_spec(mode)


def publish_mode(mode: str, actor: str, builder: Callable[[str], MenuSpec] | None = None) -> publisher.PublishResult:
    """Publish one mode's menu from its definition; it becomes the default when that mode is the active one."""
    try:
        spec = (builder or build)(mode)
    except RichMenuInvalid as exc:
        reasons = "、".join(reason for _, reason in exc.problems)
        raise publisher.PublishError(f"メニューの定義に問題があるため、公開していません（{reasons}）。") from None
    except RenderError as exc:
        raise publisher.PublishError(f"メニューの画像を作れなかったため、公開していません（{exc}）。") from None
    if _links_to_nowhere(spec):
        raise publisher.PublishError(NO_BASE_URL)
    return publisher.publish(spec, actor, make_default=mode == active_mode())


def _links_to_nowhere(spec: MenuSpec) -> bool:
    """Tell whether the menu would send residents to this service's pages on an address nobody outside can reach."""
    # The console knows the address staff reached it by; the command line knows none, and would publish
    # links to 127.0.0.1 that no resident's phone can open.
    if current_app.config.get("PUBLIC_BASE_URL") or has_request_context():
        return False
    here = base_url()
    return any(area.action.get("type") == "uri" and str(area.action.get("uri", "")).startswith(here)
               for area in spec.areas)


def switch(on: bool, reason: str, actor: str, builder: Callable[[str], MenuSpec] | None = None) -> ModeResult:
    """Switch disaster mode with a reason, audited, and show residents that mode's menu."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ModeError("切り替える理由を入力してください。")
    if len(reason) > MAX_REASON_CHARS:
        raise ModeError(f"理由は{MAX_REASON_CHARS}文字以内で入力してください。")
    if disaster_state().on == on:
        raise ModeError("すでに災害時モードです。" if on else "災害時モードではありません。")
    # The mode changes even when LINE refuses the menu: the banner and the greeting must not wait for it.
    set_disaster_mode(on, reason, actor)
    db.session.commit()
    mode = "disaster" if on else "normal"
    if not publisher.configured():
        return ModeResult(on, publisher.NOT_CONFIGURED, True)
    try:
        result = publish_mode(mode, actor, builder)
    except publisher.PublishError as exc:
        db.session.rollback()
        log.warning("disaster mode %s, but the %s menu was not published", "on" if on else "off", mode)
        return ModeResult(on, exc.message + "「LINEに公開」からもう一度公開してください。", False)
    except Exception:  # a broken definition must not undo the switch itself
        db.session.rollback()
        log.exception("building the %s rich menu failed", mode)
        return ModeResult(on, "メニューを作れなかったため、LINEのメニューは切り替わっていません。"
                              "メニューの定義を確認し、「LINEに公開」からもう一度公開してください。", False)
    return ModeResult(on, result.summary(), True)
