"""Send replies to LINE from background threads, so a webhook returns as soon as its events are recorded."""
from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.line.client import LineGateway

log = logging.getLogger(__name__)

# Retry keys for push fallbacks derive from the event id, so a redelivered event cannot push twice.
_RETRY_NAMESPACE = uuid.UUID("6f1c1c86-7d8e-4c4b-9a51-3f0b6e7c2a10")


@dataclass(frozen=True)
class ReplyJob:
    """One reply to send: the token, the messages, whom to push to if the token has expired, and the gateway of
    the town whose webhook it answers (None: the sender's own, the app settings' channel)."""

    event_id: str | None
    reply_token: str
    messages: list[dict[str, Any]]
    push_to: str | None = None
    gateway: LineGateway | None = field(default=None, repr=False, compare=False)


@dataclass
class Budget:
    """The time left for one webhook request, and whether LINE has already failed to answer in it."""

    deadline: float
    line_stalled: bool = False

    def allows(self, timeout: float) -> bool:
        """Tell whether a call to LINE may start: always, unless LINE stalled and it could finish late."""
        # A healthy LINE is always called, even late under load: a late reply still reaches the resident.
        return not self.line_stalled or time.monotonic() + timeout <= self.deadline

    def saw(self, result) -> None:
        """Remember a call that got no answer (timeout, connection refused)."""
        self.line_stalled = self.line_stalled or result.timed_out


def deliver(job: ReplyJob, gateway: LineGateway, budget: Budget | None = None) -> None:
    """Reply to one event; push instead when its reply token has expired."""
    if budget is not None and not budget.allows(gateway.timeout):
        # LINE is not answering and another try would make the whole webhook late (LINE then counts
        # it as failed and may suspend the channel's webhook): give up on this reply and say so.
        log.warning("not replying to event %s: LINE stopped answering and the webhook budget is spent",
                    job.event_id or "-")
        return
    result = gateway.reply(job.reply_token, job.messages)
    if budget is not None:
        budget.saw(result)
    if result.unsent and (budget is None or budget.allows(gateway.timeout)):
        # The connection was never opened, so LINE has not seen this reply: one more try cannot answer twice.
        # (After a dropped connection it could: LINE may have used the token, and the push below would repeat it.)
        log.info("retrying the reply to event %s on a new connection", job.event_id or "-")
        result = gateway.reply(job.reply_token, job.messages)
        if budget is not None:
            budget.saw(result)
    if result.ok or result.status != 400 or "reply token" not in result.error.lower():
        return
    # The reply token expired (slow redelivery): push instead, once per event thanks to the retry key.
    if job.push_to and (budget is None or budget.allows(gateway.timeout)):
        key = str(uuid.uuid5(_RETRY_NAMESPACE, job.event_id or job.reply_token))
        gateway.push(job.push_to, job.messages, retry_key=key)


@dataclass
class ReplySender:
    """Queue replies for a pool of sender threads; send inline when there is no pool or the queue is full."""

    gateway: LineGateway
    threads: int = 16
    queue_size: int = 1000
    _queue: queue.Queue = field(init=False, repr=False)
    _pending: int = field(default=0, init=False, repr=False)
    _idle: threading.Condition = field(default_factory=threading.Condition, init=False, repr=False)
    _pid: int | None = field(default=None, init=False, repr=False)
    _closed: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        self._queue = queue.Queue(maxsize=max(1, self.queue_size))

    @property
    def background(self) -> bool:
        """Tell whether replies go out from sender threads rather than the request's own thread."""
        return self.threads > 0 and not self._closed

    def submit(self, job: ReplyJob, budget: Budget | None = None) -> None:
        """Send a reply soon; inline (within the webhook's budget) when the pool is off or full."""
        if self.background:
            self._start()
            with self._idle:
                self._pending += 1
            try:
                self._queue.put_nowait(job)
                return
            except queue.Full:
                self._done()
                # Back-pressure: when LINE is slower than residents are asking, the webhook waits for it.
                log.warning("reply queue full (%d): sending the reply to event %s inline",
                            self.queue_size, job.event_id or "-")
        deliver(job, job.gateway or self.gateway, budget)

    def drain(self, timeout: float) -> bool:
        """Wait until every queued reply has been sent (or given up); False when time ran out."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self, timeout: float = 4.0) -> None:
        """Send what is queued (for at most timeout seconds) and stop the threads."""
        if self._closed:
            return
        self._closed = True
        if not self.drain(timeout):
            log.error("stopping with %d replies not sent", self._pending)
        if self._pid == os.getpid():
            for _ in range(self.threads):
                self._queue.put(None)

    def _start(self) -> None:
        # Threads do not survive fork: a gunicorn master that preloaded the app starts none, and each
        # worker starts its own pool on its first reply.
        if self._pid == os.getpid():
            return
        with self._idle:
            if self._pid == os.getpid():
                return
            for n in range(self.threads):
                threading.Thread(target=self._run, name=f"line-reply-{n}", daemon=True).start()
            self._pid = os.getpid()
        atexit.register(self.close)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                deliver(job, job.gateway or self.gateway)
            except Exception:  # a bug in one reply must not stop the thread that sends the next ones
                log.exception("failed to send the reply to event %s", job.event_id or "-")
            finally:
                self._done()

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            if not self._pending:
                self._idle.notify_all()
