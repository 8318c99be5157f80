"""Switch disaster mode (災害時モード) on or off: publish that mode's menu, then change the town's state."""
from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Callable

from flask import current_app, has_request_context

from bot.core import audit
from bot.core.problems import Invalid
from bot.extensions import db
from bot.models import RichMenuPublication
from bot.models.timeutil import console_time
from bot.publicurl import base_url
from bot.richmenu import publish as publisher
from bot.richmenu import review as reviews
from bot.richmenu.build import build_spec
from bot.richmenu.definition import MODE_LABELS
from bot.richmenu.render import RenderError
from bot.richmenu.spec import MenuSpec
from bot.town.settings import disaster_state, set_disaster_mode

log = logging.getLogger(__name__)

MAX_REASON_CHARS = 300


NO_BASE_URL = ("PUBLIC_BASE_URL が設定されていないため、メニューのボタンが開くこのサービスのページ（/forms/… など）の"
               "宛先が決まりません。PUBLIC_BASE_URL を設定してから公開するか、管理画面から公開してください。")


CHANGED = ("確認した後に、メニューの内容が変わりました（ほかの人が編集・公開したためです）。何も公開・切り替えしていません。"
           "下の新しい変更内容（URLを含む）を確認してから、もう一度操作してください。")


@dataclass(frozen=True)
class Review:
    """What publishing a mode's menu now would change for residents, and the digest an admin confirms."""

    mode: str
    spec: MenuSpec | None  # None: the menu cannot be built (problem says why)
    diff: reviews.Diff | None
    digest: str
    published: RichMenuPublication | None
    problem: str = ""

    @property
    def label(self) -> str:
        """Return the mode's name in Japanese."""
        return MODE_LABELS[self.mode]

    @property
    def recorded(self) -> bool:
        """Tell whether the last publish's content is known (publications before the review kept none)."""
        return self.published is not None and self.published.snapshot is not None

    @property
    def since(self) -> str:
        """Return what the changes are measured against, in Japanese."""
        if self.published is None:
            return "まだ公開していません。すべてのボタンが新しく届きます。"
        when = f"{console_time(self.published.published_at)}、{self.published.published_by}"
        if not self.recorded:
            return f"前回の公開（{when}）の内容は記録されていません。すべてのボタンを新しいものとして表示します。"
        return f"前回の公開（{when}）からの変更"

    def text(self) -> str:
        """Return the review as the command line shows it, ending with the digest to confirm."""
        body = reviews.lines(self.label, self.since, self.diff, self.problem)
        return "\n".join([*body, f"確認コード：{self.digest}"])


class ReviewChanged(publisher.PublishError):
    """The menu is not the one the admin confirmed; carries the new review to show."""

    def __init__(self, review: Review) -> None:
        super().__init__(CHANGED)
        self.review = review


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


def review(mode: str, builder: Callable[[str], MenuSpec] | None = None) -> Review:
    """Build the mode's menu and compare it with its last publish; never raises for a broken definition."""
    published = publisher.current(mode)
    before_id = published.id if published is not None else None
    try:
        spec = (builder or build)(mode)
    except Invalid as exc:
        reasons = "、".join(p.message for p in exc.problems)
        problem = f"メニューの定義に問題があるため、公開していません（{reasons}）。"
    except RenderError as exc:
        problem = f"メニューの画像を作れなかったため、公開していません（{exc}）。"
    except Exception:  # a broken or missing definition: the page and the switch say so instead of failing
        log.exception("building the %s rich menu failed", mode)
        problem = "メニューを作れなかったため、公開していません。メニューの定義を確認してください。"
    else:
        after = reviews.snapshot(spec)
        before = published.snapshot if published is not None else None
        return Review(mode, spec, reviews.diff(before, after), reviews.digest(mode, before_id, spec.fingerprint(), after),
                      published)
    return Review(mode, None, None, reviews.digest(mode, before_id, "", None, problem), published, problem)


def _confirmed(current: Review, confirmed: str | None) -> None:
    if not hmac.compare_digest((confirmed or "").strip().encode(), current.digest.encode()):
        raise ReviewChanged(current)


def _audit_confirmation(current: Review, actor: str, why: str) -> None:
    audit.record(actor, "richmenu.confirm", "richmenu", current.label,
                 f"{current.label}の変更内容を確認（{why}）",
                 {"前回の公開": current.since},
                 {"確認コード": current.digest, "変更": reviews.summary(current.diff) or ["変更なし"],
                  "開くURL": [uri for uri, _ in current.diff.urls()] if current.diff else [],
                  **({"問題": current.problem} if current.problem else {})})


def publish_mode(mode: str, actor: str, builder: Callable[[str], MenuSpec] | None = None, *,
                 confirmed: str | None) -> publisher.PublishResult:
    """Publish one mode's menu if it is the change the admin confirmed (its review's digest).

    It becomes the default when that mode is the active one. Raises ReviewChanged when the menu is not the
    reviewed one, PublishError (Japanese) when it cannot be built or LINE refuses it.
    """
    current = review(mode, builder)
    _confirmed(current, confirmed)
    result = _publish_reviewed(current, actor)
    _audit_confirmation(current, actor, "LINEに公開")
    db.session.commit()
    return result


def _publish_reviewed(current: Review, actor: str) -> publisher.PublishResult:
    if current.spec is None:
        raise publisher.PublishError(current.problem)
    if _links_to_nowhere(current.spec):
        raise publisher.PublishError(NO_BASE_URL)
    return publisher.publish(current.spec, actor, make_default=current.mode == active_mode(),
                             snapshot=current.diff.after if current.diff else None)


def _links_to_nowhere(spec: MenuSpec) -> bool:
    """Tell whether the menu would send residents to this service's pages on an address nobody outside can reach."""
    # The console knows the address staff reached it by; the command line knows none, and would publish
    # links to 127.0.0.1 that no resident's phone can open.
    if current_app.config.get("PUBLIC_BASE_URL") or has_request_context():
        return False
    here = base_url()
    return any(area.action.get("type") == "uri" and str(area.action.get("uri", "")).startswith(here)
               for area in spec.areas)


def switch(on: bool, reason: str, actor: str, builder: Callable[[str], MenuSpec] | None = None, *,
           confirmed: str | None) -> ModeResult:
    """Switch disaster mode with a reason, audited, and show residents that mode's menu.

    confirmed is the digest of the review of that mode's menu the admin saw; any other menu refuses the switch
    with ReviewChanged before anything changes.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid("切り替える理由を入力してください。")
    if len(reason) > MAX_REASON_CHARS:
        raise Invalid(f"理由は{MAX_REASON_CHARS}文字以内で入力してください。")
    if disaster_state().on == on:
        raise Invalid("すでに災害時モードです。" if on else "災害時モードではありません。")
    mode = "disaster" if on else "normal"
    current = review(mode, builder)
    _confirmed(current, confirmed)
    # The mode changes even when LINE refuses the menu: the banner and the greeting must not wait for it.
    set_disaster_mode(on, reason, actor)
    _audit_confirmation(current, actor, "災害時モードへの切り替え" if on else "通常への切り替え")
    db.session.commit()
    if not publisher.configured():
        return ModeResult(on, publisher.NOT_CONFIGURED, True)
    try:
        result = _publish_reviewed(current, actor)
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
