"""A fake LINE Messaging API on 127.0.0.1 that records requests and injects faults."""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int | None = None  # what the fake answered, once it has
    received_at: float = field(default_factory=time.time)  # wall clock, comparable across processes

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

    def _answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, dict, dict]:
        record = Recorded(method, path, headers, body)
        with self._lock:
            self.requests.append(record)
        status, payload, extra = self._respond(path, headers, body)
        record.status = status
        return status, payload, extra

    def _respond(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, dict, dict]:
        fault = self._take_fault(path)
        if fault and fault.passthrough:
            answer = self._normal(path, headers, body)  # accepted (and delivered) now...
            time.sleep(fault.delay)  # ...but the answer comes late
            return answer
        if fault:
            if fault.delay:
                time.sleep(fault.delay)
            return fault.status, fault.body, fault.headers
        return self._normal(path, headers, body)

    def _normal(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, dict, dict]:
        if self.latency:
            time.sleep(self.latency)
        if headers.get("authorization", "") in ("", "Bearer "):
            return 401, {"message": "Authentication failed"}, {}
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
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, payload, extra = fake._answer("POST", self.path, headers, body)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("x-line-request-id", str(uuid.uuid4()))
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            do_GET = do_POST

        return Handler
