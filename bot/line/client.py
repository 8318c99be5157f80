"""The LINE Messaging API client with explicit timeouts and logged, contained failures."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence

import urllib3
from linebot.v3.messaging import ApiClient, ApiException, Configuration, MessagingApiBlob

from bot.line.messages import Message

log = logging.getLogger(__name__)

# LINE's default too; sent explicitly because the SDK's request models always sent it.
_NOTIFY = {"notificationDisabled": False}


@dataclass(frozen=True)
class SendResult:
    """The outcome of one call to LINE: ok, or why not."""

    ok: bool
    status: int | None = None  # HTTP status; None when the call never got an answer
    request_id: str = ""
    error: str = ""
    retry_after: float | None = None
    unsent: bool = False  # no connection could be opened, so LINE cannot have received the request

    @property
    def timed_out(self) -> bool:
        """Tell whether no HTTP answer came back (timeout or connection failure)."""
        return not self.ok and self.status is None


class LineGateway:
    """Send replies, pushes and multicasts to LINE; never raise for API failures."""

    def __init__(self, access_token: str, endpoint: str, timeout: float, connections: int = 0) -> None:
        self.timeout = timeout
        self.configured = bool(access_token)
        configuration = Configuration(host=endpoint.rstrip("/"), access_token=access_token or "unset")
        # No silent urllib3 retries: the caller decides, with a retry key where one is needed.
        configuration.retries = False
        # The SDK keeps 5 connections per CPU; with more threads calling LINE at once, urllib3 would close the
        # extra connections after each call and open new ones for the next (and log a warning every time).
        configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize or 0, connections)
        self._api_client = ApiClient(configuration)
        # Residents' photos come from api-data.line.me (the SDK's blob API); a test's fake serves both hosts.
        data = Configuration(host=data_host(endpoint.rstrip("/")), access_token=access_token or "unset")
        data.retries = False
        self._blob = MessagingApiBlob(ApiClient(data))

    @classmethod
    def from_config(cls, config: Any) -> "LineGateway":
        """Build a gateway from the app's settings."""
        return cls(config["LINE_CHANNEL_ACCESS_TOKEN"], config["LINE_API_ENDPOINT"], config["LINE_API_TIMEOUT"],
                   config["LINE_API_CONNECTIONS"])

    def reply(self, reply_token: str, messages: Sequence[Message]) -> SendResult:
        """Reply to an event with up to five messages."""
        body = {"replyToken": reply_token, "messages": list(messages), **_NOTIFY}
        return self._call("reply", lambda: self._post("/v2/bot/message/reply", body, None, self.timeout))

    def push(self, to: str, messages: Sequence[Message], retry_key: str) -> SendResult:
        """Push messages to one user, group or room, idempotently by retry key."""
        body = {"to": to, "messages": list(messages), **_NOTIFY}
        return self._call("push", lambda: self._post("/v2/bot/message/push", body, retry_key, self.timeout))

    def multicast(self, to: Sequence[str], messages: Sequence[Message], retry_key: str,
                  timeout: float | None = None) -> SendResult:
        """Send messages to up to 500 users, idempotently by retry key."""
        body = {"messages": list(messages), "to": list(to), **_NOTIFY}
        return self._call("multicast", lambda: self._post(
            "/v2/bot/message/multicast", body, retry_key, timeout or self.timeout))

    def mark_as_read(self, token: str) -> SendResult:
        """Mark a resident's messages up to the one that carried this markAsReadToken as read (既読)."""
        body = {"markAsReadToken": token}
        return self._call("markAsRead", lambda: self._post("/v2/bot/chat/markAsRead", body, None, self.timeout))

    def content(self, message_id: str, max_bytes: int) -> tuple[bytes | None, str, SendResult]:
        """Download what a resident sent (a photo) with the SDK's blob API: (bytes, content type, result);
        no bytes when LINE refused, did not answer, or the content is larger than max_bytes."""
        holder: dict = {}

        def fetch():
            response = self._blob.get_message_content_with_http_info(
                message_id, _request_timeout=max(self.timeout, 5.0), _preload_content=False)
            holder["response"] = response
            return response

        result = self._call("content", fetch)
        response = holder.get("response")
        if not result.ok or response is None:
            return None, "", result
        headers = response.headers or {}
        data = bytes(response.raw_data or b"")
        if len(data) > max_bytes:
            return None, "", SendResult(False, 413, result.request_id, "content too large")
        return data, str(headers.get("content-type", "")).split(";")[0].strip(), result

    def _post(self, path: str, body: dict[str, Any], retry_key: str | None, timeout: float):
        """POST a request body of LINE's JSON through the SDK's ApiClient."""
        # MessagingApi.*_with_http_info would need the SDK's request models, whose validation and to_dict()
        # cost more CPU than matching the question; ApiClient.call_api is the same transport, auth and headers.
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if retry_key:
            headers["X-Line-Retry-Key"] = retry_key
        return self._api_client.call_api(
            path, "POST", {}, [], headers, body=body, post_params=[], files={},
            response_types_map={}, auth_settings=["Bearer"], _preload_content=False, _request_timeout=timeout)

    def _call(self, what: str, send) -> SendResult:
        try:
            response = send()
        except ApiException as exc:
            headers = exc.headers or {}
            request_id = headers.get("x-line-request-id", "")
            retry_after = _retry_after(headers.get("retry-after"))
            body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body or "")
            log.warning("LINE %s failed: status=%s x-line-request-id=%s body=%s",
                        what, exc.status, request_id or "-", body[:300])
            return SendResult(False, exc.status, request_id, body[:500] or str(exc.reason), retry_after)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            log.warning("LINE %s got no answer: %s", what, type(exc).__name__)
            # NewConnectionError is a ConnectTimeoutError: refused, unreachable, or no handshake in time.
            unsent = isinstance(exc, urllib3.exceptions.ConnectTimeoutError)
            return SendResult(False, None, "", f"{type(exc).__name__}: {exc}"[:500], unsent=unsent)
        headers = response.headers or {}
        return SendResult(True, response.status_code, headers.get("x-line-request-id", ""))


def data_host(endpoint: str) -> str:
    """Return the host of LINE's content API for an API endpoint: api-data.line.me beside api.line.me."""
    return endpoint.replace("://api.line.me", "://api-data.line.me")


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
