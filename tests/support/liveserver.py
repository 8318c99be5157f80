"""Serve a Flask app on 127.0.0.1 from a real threaded HTTP server, for concurrency tests."""
from __future__ import annotations

import http.client
import threading

from werkzeug.serving import make_server

from tests.conftest import SECRET
from tests.support.linesign import sign


class LiveServer:
    """A werkzeug threaded server in a background thread: one thread per request, like production."""

    def __init__(self, app) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "LiveServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def post(self, body: bytes, signature: str | None = None, timeout: float = 30.0) -> int:
        """POST a body to /callback, signed unless told otherwise; return the status."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("POST", "/callback", body, {
                "Content-Type": "application/json",
                "X-Line-Signature": signature if signature is not None else sign(body, SECRET),
            })
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until the app's sender threads have sent every queued reply."""
        assert self.app.extensions["line_sender"].drain(timeout), f"replies still queued after {timeout} s"
