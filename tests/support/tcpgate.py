"""A TCP port that leaves handshakes unanswered until it is opened, then forwards to a real server."""
from __future__ import annotations

import socket
import threading


class StalledPort:
    """Listen with a full accept queue, so connects time out as on a dropped SYN; open() starts forwarding."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=0)
        self.port = self._listener.getsockname()[1]
        # Linux queues one finished handshake on a backlog of 0 and drops further SYNs: fill that one place.
        self._filler = socket.create_connection(("127.0.0.1", self.port))
        self._open = threading.Event()
        self._threads: list[threading.Thread] = []

    def assert_stalled(self, wait: float = 0.2) -> None:
        """Check that a new connection gets no handshake."""
        with socket.socket() as probe:
            probe.settimeout(wait)
            try:
                probe.connect(("127.0.0.1", self.port))
            except (TimeoutError, socket.timeout):
                return
        raise AssertionError("the port accepted a connection while stalled")

    def open(self) -> None:
        """Accept every waiting and later connection and forward it to the target."""
        if self._open.is_set():
            return
        self._open.set()
        # Free the queue's one place before returning, so the very next handshake completes.
        self._forward(self._listener.accept()[0])
        self._spawn(self._accept_loop)

    def close(self) -> None:
        """Stop listening."""
        self._open.set()
        self._listener.close()
        self._filler.close()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._forward(client)

    def _forward(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.target)
        self._spawn(self._pump, client, upstream)
        self._spawn(self._pump, upstream, client)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
