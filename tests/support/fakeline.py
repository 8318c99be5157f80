"""A fake LINE Messaging API on 127.0.0.1 that records requests and injects faults."""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int | None = None  # what the fake answered, once it has
    received_at: float = field(default_factory=time.time)  # wall clock, comparable across processes
    raw: bytes = field(default=b"", repr=False)  # the body as sent (an uploaded image's bytes)

    @property
    def retry_key(self) -> str | None:
        """Return the X-Line-Retry-Key header, if any."""
        return self.headers.get("x-line-retry-key")


@dataclass
class Fault:
    """A scripted answer for the next matching request."""

    path: str  # a path prefix such as /v2/bot/message/reply, or "" for any
    status: int = 500
    delay: float = 0.0
    body: dict = field(default_factory=lambda: {"message": "injected fault"})
    headers: dict = field(default_factory=dict)
    # Handle the request as LINE would (deliver it) but answer only after the delay: a slow success.
    passthrough: bool = False


class _Server(ThreadingHTTPServer):
    """A threaded HTTP server with a listen backlog like a real API's."""

    # socketserver's default backlog is 5: sixteen sender threads opening connections at once overflowed it,
    # the kernel dropped the extra handshakes, and the bot saw connect timeouts LINE itself does not cause.
    request_queue_size = 1024
    daemon_threads = True


class FakeLine:
    """Serve the endpoints the bot uses, like LINE does, with scripted faults."""

    def __init__(self, latency: float = 0.0) -> None:
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.latency = latency
        self.expired_tokens: set[str] = set()
        self._delivered_keys: set[str] = set()
        self.richmenu = RichMenuState()
        # What residents sent (photos), by message id: served at GET /v2/bot/message/{id}/content (api-data).
        self.contents: dict[str, tuple[str, bytes]] = {}
        self.read_tokens: list[str] = []  # markAsReadToken values LINE accepted
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Return the base URL to use as LINE_API_ENDPOINT."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeLine":
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Forget recorded requests, faults and delivered retry keys."""
        with self._lock:
            self.requests.clear()
            self.faults.clear()
            self.expired_tokens.clear()
            self._delivered_keys.clear()
            self.richmenu = RichMenuState()
            self.contents.clear()
            self.read_tokens.clear()

    def inject(self, path: str = "", status: int = 500, times: int = 1, delay: float = 0.0, **kwargs) -> None:
        """Answer the next `times` requests to path with this status (after a delay)."""
        with self._lock:
            self.faults.extend(Fault(path, status, delay, **kwargs) for _ in range(times))

    def calls(self, path: str) -> list[Recorded]:
        """Return the recorded requests to one path."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def delivered(self, path: str = "/v2/bot/message/multicast") -> list[str]:
        """Return every recipient of the requests to path that LINE accepted (2xx), once per delivery."""
        with self._lock:
            accepted = [r for r in self.requests if r.path == path and r.status is not None and 200 <= r.status < 300]
        out: list[str] = []
        for r in accepted:
            to = (r.body or {}).get("to")
            out.extend(to if isinstance(to, list) else [to])
        return out

    # -- HTTP handling ------------------------------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self.faults):
                if path.startswith(fault.path):
                    return self.faults.pop(i)
        return None

    def _answer(self, method: str, path: str, headers: dict[str, str], body: Any,
                raw: bytes = b"") -> tuple[int, dict | bytes, dict]:
        record = Recorded(method, path, headers, body, raw=raw)
        with self._lock:
            self.requests.append(record)
        status, payload, extra = self._respond(path, headers, body, method, raw)
        record.status = status
        return status, payload, extra

    def _respond(self, path: str, headers: dict[str, str], body: Any, method: str = "POST",
                 raw: bytes = b"") -> tuple[int, dict | bytes, dict]:
        fault = self._take_fault(path)
        if fault and fault.passthrough:
            answer = self._normal(path, headers, body, method, raw)  # accepted (and delivered) now...
            time.sleep(fault.delay)  # ...but the answer comes late
            return answer
        if fault:
            if fault.delay:
                time.sleep(fault.delay)
            return fault.status, fault.body, fault.headers
        return self._normal(path, headers, body, method, raw)

    def _normal(self, path: str, headers: dict[str, str], body: Any, method: str = "POST",
                raw: bytes = b"") -> tuple[int, dict | bytes, dict]:
        if self.latency:
            time.sleep(self.latency)
        if headers.get("authorization", "") in ("", "Bearer "):
            return 401, {"message": "Authentication failed"}, {}
        if path.startswith("/v2/bot/message/") and isinstance(body, dict) and \
                (bad := message_uri_problems(body.get("messages"))):
            # LINE refuses the whole request for one bad link (and delivers none of its messages).
            return _bad("A message (messages[0]) in the request body is invalid", *bad)
        if method == "GET" and path.startswith("/v2/bot/message/") and path.endswith("/content"):
            message_id = path[len("/v2/bot/message/"):-len("/content")]
            with self._lock:
                found = self.contents.get(message_id)
            if found is None:
                return 404, {"message": "Not found"}, {}
            return 200, found[1], {"Content-Type": found[0]}
        if path == "/v2/bot/chat/markAsRead":
            token = (body or {}).get("markAsReadToken") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                return _bad("The request body has 1 error(s)", "markAsReadToken is required")
            with self._lock:
                self.read_tokens.append(token)
            return 200, {}, {}
        if path == "/v2/bot/message/reply":
            token = (body or {}).get("replyToken", "")
            if token in self.expired_tokens:
                return 400, {"message": "Invalid reply token"}, {}
            return 200, {"sentMessages": [{"id": "1", "quoteToken": "q"}]}, {}
        if path in ("/v2/bot/message/push", "/v2/bot/message/multicast", "/v2/bot/message/broadcast"):
            key = headers.get("x-line-retry-key")
            if key:
                with self._lock:
                    if key in self._delivered_keys:
                        # LINE answers 409 to a retry whose first try got through, and delivers nothing.
                        return 409, {"message": "The retry key is already accepted"}, {
                            "x-line-accepted-request-id": "accepted"}
                    self._delivered_keys.add(key)
            return 200, {"sentMessages": [{"id": "1", "quoteToken": "q"}]} if path.endswith("push") else {}, {}
        if path.startswith(RICHMENU_PATHS):
            with self._lock:
                return self.richmenu.answer(method, path, headers, body, raw)
        return 404, {"message": "Not found"}, {}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without TCP_NODELAY the body waits for a
            # delayed ACK (~20-40 ms) and the fake would add latency nobody configured.
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                if headers.get("content-type", "").startswith("image/"):
                    body = None  # an uploaded image: see Recorded.raw
                else:
                    try:
                        body = json.loads(raw) if raw else None
                    except ValueError:
                        body = raw.decode("utf-8", "replace")
                status, payload, extra = fake._answer(self.command, self.path, headers, body, raw)
                binary = isinstance(payload, bytes)
                data = payload if binary else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    if not binary:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    if "x-line-request-id" not in {name.lower() for name in extra}:  # a fault may script it
                        self.send_header("x-line-request-id", str(uuid.uuid4()))
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            do_GET = do_DELETE = do_POST

        return Handler


# -- Links in messages ----------------------------------------------------------------------------------------
# LINE's checks on a uri action's link, written here from the Messaging API reference (not from the bot's code):
# http, https, line or tel; at most 1000 characters; a web link needs a host; no spaces or control characters.
_URI_SCHEMES = ("http", "https", "line", "tel")
_MAX_URI = 1000


def uri_problem(uri: Any) -> str | None:
    """Return why LINE would refuse this link in a uri action, or None."""
    if not isinstance(uri, str) or not uri:
        return "uri is required"
    if len(uri) > _MAX_URI:
        return f"uri must be at most {_MAX_URI} characters"
    if any(ord(c) < 0x21 or ord(c) == 0x7f for c in uri):
        return "uri must not contain spaces or control characters"
    scheme, _, rest = uri.partition(":")
    if scheme.lower() not in _URI_SCHEMES or not rest:
        return "uri scheme must be http, https, line or tel"
    if scheme.lower() in ("http", "https"):
        try:
            parts = urlsplit(uri)
            parts.port
        except ValueError:
            return "invalid uri"
        host = parts.hostname or ""
        if not host or host.startswith(".") or any(not (c.isascii() and (c.isalnum() or c in ".-:")) for c in host):
            return "invalid uri host"
    return None


def message_uri_problems(messages: Any, where: str = "messages") -> list[str]:
    """Return every bad link in a request's messages, with its property path, as LINE's 400 details do."""
    problems: list[str] = []
    if isinstance(messages, dict):
        if messages.get("type") == "uri" and "uri" in messages:
            reason = uri_problem(messages["uri"])
            if reason:
                problems.append(f"{where}.uri: {reason}")
        for key, value in messages.items():
            problems.extend(message_uri_problems(value, f"{where}.{key}"))
    elif isinstance(messages, list):
        for i, item in enumerate(messages):
            problems.extend(message_uri_problems(item, f"{where}[{i}]"))
    return problems


# -- Rich menus ---------------------------------------------------------------------------------------------
# LINE's rich-menu endpoints with its paths, answers and checks. The image host (api-data.line.me) is the same
# server here: the SDK's Configuration(host=...) sends both hosts' calls to one endpoint.

RICHMENU_PATHS = ("/v2/bot/richmenu", "/v2/bot/user/")
_IMAGE_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
_MAX_IMAGE_BYTES = 1024 * 1024
_NOT_FOUND = (404, {"message": "Not found"}, {})


def _bad(message: str, *details: str) -> tuple[int, dict, dict]:
    body: dict = {"message": message}
    if details:
        body["details"] = [{"message": d, "property": ""} for d in details]
    return 400, body, {}


def richmenu_problems(menu: Any) -> list[str]:
    """Return what LINE would refuse in a rich-menu object (size, areas inside the image, texts)."""
    if not isinstance(menu, dict):
        return ["the body is not a JSON object"]
    problems = []
    size = menu.get("size") or {}
    width, height = size.get("width"), size.get("height")
    if not (isinstance(width, int) and isinstance(height, int)):
        return ["size.width and size.height are required"]
    if not 800 <= width <= 2500:
        problems.append("size.width must be between 800 and 2500")
    if height < 250:
        problems.append("size.height must be at least 250")
    if height and width / height < 1.45:
        problems.append("size.width / size.height must be at least 1.45")
    if not isinstance(menu.get("selected"), bool):
        problems.append("selected is required")
    if not 1 <= len(menu.get("name") or "") <= 300:
        problems.append("name must be 1-300 characters")
    if not 1 <= len(menu.get("chatBarText") or "") <= 14:
        problems.append("chatBarText must be 1-14 characters")
    areas = menu.get("areas")
    if not isinstance(areas, list) or len(areas) > 20:
        problems.append("areas must be a list of at most 20")
        areas = []
    for i, area in enumerate(areas):
        bounds, action = (area or {}).get("bounds") or {}, (area or {}).get("action") or {}
        x, y, w, h = (bounds.get(k) for k in ("x", "y", "width", "height"))
        if not all(isinstance(v, int) for v in (x, y, w, h)) or x < 0 or y < 0 or w <= 0 or h <= 0 \
                or x + w > width or y + h > height:
            problems.append(f"areas[{i}].bounds must lie inside the image")
        if not action.get("type"):
            problems.append(f"areas[{i}].action.type is required")
    return problems


@dataclass
class RichMenuState:
    """Rich menus, their images, the default menu, per-user links and aliases, as LINE keeps them."""

    menus: dict[str, dict] = field(default_factory=dict)
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # menu id → (content type, bytes)
    default: str | None = None
    users: dict[str, str] = field(default_factory=dict)  # user id → menu id
    aliases: dict[str, str] = field(default_factory=dict)  # alias id → menu id

    def answer(self, method: str, path: str, headers: dict[str, str], body: Any,
               raw: bytes) -> tuple[int, dict | bytes, dict]:
        """Answer one rich-menu request (the caller holds the fake's lock)."""
        parts = path.split("?")[0].strip("/").split("/")[2:]  # after v2/bot
        if parts[0] == "user":
            return self._user(method, parts[1:])
        rest = parts[1:]
        if rest == [] and method == "POST":
            problems = richmenu_problems(body)
            if problems:
                return _bad("The request body has 1 error(s)" if len(problems) == 1 else
                            f"The request body has {len(problems)} error(s)", *problems)
            menu_id = f"richmenu-{uuid.uuid4().hex}"
            self.menus[menu_id] = {"richMenuId": menu_id, **body}
            return 200, {"richMenuId": menu_id}, {}
        if rest == ["validate"] and method == "POST":
            problems = richmenu_problems(body)
            return _bad("The request body has error(s)", *problems) if problems else (200, {}, {})
        if rest == ["list"] and method == "GET":
            return 200, {"richmenus": list(self.menus.values())}, {}
        if rest and rest[0] == "alias":
            return self._alias(method, rest[1:], body)
        if rest and rest[0] == "bulk" and method == "POST":
            menu_id = (body or {}).get("richMenuId", "")
            if rest[1:] == ["link"] and menu_id not in self.menus:
                return _NOT_FOUND
            for user in (body or {}).get("userIds", []):
                if rest[1:] == ["link"]:
                    self.users[user] = menu_id
                else:
                    self.users.pop(user, None)
            return 202, {}, {}
        if len(rest) == 1:
            menu_id = rest[0]
            if menu_id not in self.menus:
                return _NOT_FOUND
            if method == "GET":
                return 200, self.menus[menu_id], {}
            if method == "DELETE":
                del self.menus[menu_id]
                self.images.pop(menu_id, None)
                if self.default == menu_id:
                    self.default = None
                self.users = {u: m for u, m in self.users.items() if m != menu_id}
                return 200, {}, {}
        if len(rest) == 2 and rest[1] == "content":
            return self._content(method, rest[0], headers, raw)
        return _NOT_FOUND

    def _content(self, method: str, menu_id: str, headers: dict[str, str], raw: bytes):
        if menu_id not in self.menus:
            return _NOT_FOUND
        if method == "GET":
            if menu_id not in self.images:
                return _NOT_FOUND
            content_type, data = self.images[menu_id]
            return 200, data, {"Content-Type": content_type}
        if method != "POST":
            return _NOT_FOUND
        content_type = headers.get("content-type", "").split(";")[0].strip()
        magic = _IMAGE_MAGIC.get(content_type)
        if magic is None or not raw.startswith(magic):
            return _bad("Invalid image: only image/png or image/jpeg of the declared type is accepted")
        if len(raw) > _MAX_IMAGE_BYTES:
            return 413, {"message": "Image too large"}, {}
        if menu_id in self.images:
            return _bad("An image has already been uploaded to the richmenu")
        self.images[menu_id] = (content_type, raw)
        return 200, {}, {}

    def _user(self, method: str, parts: list[str]):
        # /v2/bot/user/all/richmenu[/{id}] and /v2/bot/user/{userId}/richmenu[/{id}]
        if len(parts) < 2 or parts[1] != "richmenu":
            return _NOT_FOUND
        who, menu_id = parts[0], (parts[2] if len(parts) > 2 else None)
        current = self.default if who == "all" else self.users.get(who)
        if method == "GET" and menu_id is None:
            return (200, {"richMenuId": current}, {}) if current else _NOT_FOUND
        if method == "DELETE" and menu_id is None:
            if who == "all":
                self.default = None
            else:
                self.users.pop(who, None)
            return 200, {}, {}
        if method == "POST" and menu_id is not None:
            if menu_id not in self.menus:
                return _NOT_FOUND
            if menu_id not in self.images:
                return _bad("An image has not been uploaded to the richmenu")
            if who == "all":
                self.default = menu_id
            else:
                self.users[who] = menu_id
            return 200, {}, {}
        return _NOT_FOUND

    def _alias(self, method: str, rest: list[str], body: Any):
        body = body or {}
        if rest == [] and method == "POST":
            alias, menu_id = body.get("richMenuAliasId", ""), body.get("richMenuId", "")
            if alias in self.aliases:
                return _bad("conflict richmenu alias id")
            if menu_id not in self.menus:
                return _bad("richmenu not found")
            self.aliases[alias] = menu_id
            return 200, {}, {}
        if rest == ["list"] and method == "GET":
            return 200, {"aliases": [{"richMenuAliasId": a, "richMenuId": m} for a, m in self.aliases.items()]}, {}
        if len(rest) == 1 and rest[0] in self.aliases:
            alias = rest[0]
            if method == "GET":
                return 200, {"richMenuAliasId": alias, "richMenuId": self.aliases[alias]}, {}
            if method == "DELETE":
                del self.aliases[alias]
                return 200, {}, {}
            if method == "POST":
                if body.get("richMenuId") not in self.menus:
                    return _bad("richmenu not found")
                self.aliases[alias] = body["richMenuId"]
                return 200, {}, {}
        return _NOT_FOUND
