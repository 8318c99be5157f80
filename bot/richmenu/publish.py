"""Publish a MenuSpec to LINE: create, upload the image, make it the default, record it, delete what it replaced."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import urllib3
from flask import current_app
from linebot.v3.messaging import ApiClient, ApiException, Configuration, MessagingApi, MessagingApiBlob
from linebot.v3.messaging import RichMenuRequest
from sqlalchemy import select

from bot.core import audit
from bot.extensions import db
from bot.line.channels import town_channel
from bot.line.client import data_host
from bot.models import RichMenuPublication, utcnow
from bot.richmenu.spec import MenuSpec

log = logging.getLogger(__name__)

MODE_LABELS = {"normal": "通常のメニュー", "disaster": "災害時のメニュー"}
NOT_CONFIGURED = ("この町のLINEチャネルアクセストークン（運用者が設定する町のLINEチャネル、または"
                  "LINE_CHANNEL_ACCESS_TOKEN）が設定されていないため、"
                  "LINEには公開していません。シミュレーターでは公開なしで動きます。")


class PublishError(Exception):
    """Publishing failed; the message is Japanese and safe to show to staff."""

    def __init__(self, message: str, status: int | None = None, request_id: str = "") -> None:
        super().__init__(message)
        self.message, self.status, self.request_id = message, status, request_id


@dataclass(frozen=True)
class PublishResult:
    """What publishing did: whether LINE changed, the current menu id, and the menus deleted after the switch."""

    mode: str
    menu_id: str
    created: bool
    made_default: bool
    deleted: tuple[str, ...] = field(default=())
    leftover: tuple[str, ...] = field(default=())  # replaced menus LINE did not delete yet (retried next time)

    @property
    def changed(self) -> bool:
        """Tell whether anything changed at LINE."""
        return self.created or self.made_default or bool(self.deleted)

    def summary(self) -> str:
        """Return a Japanese sentence for staff."""
        label = MODE_LABELS.get(self.mode, self.mode)
        if not self.changed:
            return f"{label}は公開済みのものと同じです。LINEでは何も変更していません。"
        parts = [f"{label}をLINEに公開しました（メニューID {self.menu_id}）。" if self.created
                 else f"{label}は公開済みのものを使います（メニューID {self.menu_id}）。"]
        if self.made_default:
            parts.append("友だち全員に表示されるメニューに設定しました。")
        if self.deleted:
            parts.append(f"置き換えた古いメニュー{len(self.deleted)}件をLINEから削除しました。")
        if self.leftover:
            parts.append(f"古いメニュー{len(self.leftover)}件はLINEから削除できなかったため、次の公開で再度削除します。")
        return "".join(parts)


def configured() -> bool:
    """Tell whether the current town's LINE access token is set, so that publishing can reach LINE."""
    return bool(town_channel().access_token)


def current(mode: str) -> RichMenuPublication | None:
    """Return the publication LINE shows for a mode now (the newest that nothing replaced), if any."""
    return db.session.scalar(
        select(RichMenuPublication)
        .where(RichMenuPublication.mode == mode, RichMenuPublication.replaced_at.is_(None),
               RichMenuPublication.deleted_at.is_(None))
        .order_by(RichMenuPublication.id.desc()).limit(1))


class _Line:
    """The SDK's MessagingApi and MessagingApiBlob on one endpoint with one town's access token, each call with a
    timeout and Japanese errors."""

    def __init__(self, config: Any, access_token: str) -> None:
        endpoint = config["LINE_API_ENDPOINT"].rstrip("/")
        self.timeout = config.get("RICHMENU_API_TIMEOUT", 10.0)
        self.client = ApiClient(self._configuration(endpoint, access_token))
        # The menu's image goes to LINE's content host (api-data.line.me): a Configuration's host overrides the SDK's
        # own per-operation host, so the blob API needs a client of its own.
        self.data_client = ApiClient(self._configuration(data_host(endpoint), access_token))
        self.api, self.blob = MessagingApi(self.client), MessagingApiBlob(self.data_client)

    @staticmethod
    def _configuration(host: str, access_token: str) -> Configuration:
        configuration = Configuration(host=host, access_token=access_token)
        configuration.retries = False  # a retried create would leave a second menu behind
        return configuration

    def call(self, step: str, send: Callable[..., Any], *args, **kwargs) -> Any:
        try:
            return send(*args, _request_timeout=self.timeout, **kwargs)
        except ApiException as exc:
            raise _api_error(step, exc) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            log.warning("LINE rich menu %s got no answer: %s", step, type(exc).__name__)
            raise PublishError(f"{step}で、LINEから{self.timeout:g}秒以内に応答がありませんでした。"
                               "しばらくしてからもう一度お試しください。") from None

    def exists(self, menu_id: str) -> bool:
        try:
            self.call("公開済みメニューの確認", self.api.get_rich_menu, menu_id)
        except PublishError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def default_id(self) -> str | None:
        try:
            return self.call("既定メニューの確認", self.api.get_default_rich_menu_id).rich_menu_id
        except PublishError as exc:
            if exc.status == 404:
                return None
            raise

    def close(self) -> None:
        self.client.close()
        self.data_client.close()


def _api_error(step: str, exc: ApiException) -> PublishError:
    headers = exc.headers or {}
    request_id = headers.get("x-line-request-id", "") or "なし"
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body or "")
    log.warning("LINE rich menu %s failed: status=%s x-line-request-id=%s body=%s",
                step, exc.status, request_id, body[:300])
    where = f"（HTTP {exc.status}、リクエストID {request_id}）"
    if exc.status == 429:
        text = f"{step}で、LINEが混み合っていて受け付けられませんでした{where}。しばらくしてからもう一度お試しください。"
    elif exc.status in (401, 403):
        text = f"{step}で、LINEがアクセストークンを受け付けませんでした{where}。チャネルアクセストークンを確認してください。"
    elif exc.status and exc.status >= 500:
        text = f"{step}で、LINEのサーバーでエラーが起きました{where}。しばらくしてからもう一度お試しください。"
    else:
        text = f"{step}で、LINEが要求を受け付けませんでした{where}。"
    return PublishError(text, exc.status, headers.get("x-line-request-id", ""))


def _request(spec: MenuSpec) -> RichMenuRequest:
    try:
        return RichMenuRequest.from_dict(spec.to_line())
    except Exception as exc:  # pydantic's ValidationError, or a TypeError on a malformed action
        log.warning("rich menu %s does not fit the SDK's model: %s", spec.mode, type(exc).__name__)
        raise PublishError("メニューの定義がLINEの形式に合っていません。メニューの編集画面で内容を確認してください。") from None


def publish(spec: MenuSpec, actor: str, *, make_default: bool, snapshot: dict[str, Any] | None = None) -> PublishResult:
    """Publish one menu unless LINE already has it; make it the default when its mode is the active one.

    snapshot is the menu as residents get it (bot.richmenu.review), kept so the next publish can show its changes.
    """
    token = town_channel().access_token
    if not token:
        raise PublishError(NOT_CONFIGURED)
    line = _Line(current_app.config, token)
    try:
        return _publish(line, spec, actor, make_default, snapshot)
    finally:
        line.close()


def _publish(line: _Line, spec: MenuSpec, actor: str, make_default: bool,
             snapshot: dict[str, Any] | None) -> PublishResult:
    request = _request(spec)
    fingerprint = spec.fingerprint()
    now_row = current(spec.mode)
    if now_row is not None and now_row.fingerprint == fingerprint:
        if line.exists(now_row.line_menu_id):
            made_default = False
            if make_default and line.default_id() != now_row.line_menu_id:
                line.call("既定のメニューへの設定", line.api.set_default_rich_menu, now_row.line_menu_id)
                made_default = True
            if now_row.snapshot is None and snapshot is not None:  # published before snapshots were kept
                now_row.snapshot = snapshot
            deleted, leftover = _delete_replaced(line, spec.mode)
            db.session.commit()
            return PublishResult(spec.mode, now_row.line_menu_id, False, made_default, deleted, leftover)
        # Someone deleted it at LINE (another tool, the LINE Official Account Manager): make it again.
        now_row.deleted_at = utcnow()
    menu_id = line.call("メニューの作成", line.api.create_rich_menu, request).rich_menu_id
    try:
        line.call("画像のアップロード", line.blob.set_rich_menu_image, menu_id, spec.image,
                  _headers={"Content-Type": spec.image_type})
        if make_default:
            line.call("既定のメニューへの設定", line.api.set_default_rich_menu, menu_id)
    except PublishError:
        # Half made: residents still see the menu that was the default, and nothing of this one stays at LINE.
        _forget(line, menu_id)
        db.session.rollback()
        raise
    now = utcnow()
    before = {"menu_id": now_row.line_menu_id if now_row is not None else None}
    for row in db.session.scalars(select(RichMenuPublication).where(
            RichMenuPublication.mode == spec.mode, RichMenuPublication.replaced_at.is_(None))):
        row.replaced_at = now
    db.session.add(RichMenuPublication(mode=spec.mode, fingerprint=fingerprint, line_menu_id=menu_id,
                                       published_at=now, published_by=actor, snapshot=snapshot))
    audit.record(actor, "richmenu.publish", "richmenu", MODE_LABELS.get(spec.mode, spec.mode), summary=MODE_LABELS.get(spec.mode, spec.mode),
                 before=before, after={"menu_id": menu_id, "default": make_default})
    # Saved before the old menus go: if deleting fails, the new id is known and the old ones are retried.
    db.session.commit()
    deleted, leftover = _delete_replaced(line, spec.mode)
    db.session.commit()
    return PublishResult(spec.mode, menu_id, True, make_default, deleted, leftover)


def _delete_replaced(line: _Line, mode: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Delete at LINE the replaced menus of a mode that are still there; return (deleted, left over)."""
    deleted, leftover = [], []
    rows = db.session.scalars(select(RichMenuPublication).where(
        RichMenuPublication.mode == mode, RichMenuPublication.replaced_at.is_not(None),
        RichMenuPublication.deleted_at.is_(None)).order_by(RichMenuPublication.id))
    for row in rows:
        try:
            line.call("古いメニューの削除", line.api.delete_rich_menu, row.line_menu_id)
        except PublishError as exc:
            if exc.status != 404:
                leftover.append(row.line_menu_id)
                continue
        row.deleted_at = utcnow()
        deleted.append(row.line_menu_id)
    return tuple(deleted), tuple(leftover)


def _forget(line: _Line, menu_id: str) -> None:
    """Delete a half-made menu; a failure is only logged (the menu is not the default, residents never see it)."""
    try:
        line.call("作りかけのメニューの削除", line.api.delete_rich_menu, menu_id)
    except PublishError as exc:
        log.warning("could not delete half-made rich menu %s: %s", menu_id, exc.status)
