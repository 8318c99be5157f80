"""The long-running notice worker: release due notices, deliver the outbox, note follower numbers."""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app
from sqlalchemy.exc import OperationalError

from bot.extensions import db
from bot.notices import locks, report, schedule
from bot.notices.delivery import LOCK_NAME, Deliverer, uses_single_worker_lock, worker_name

log = logging.getLogger(__name__)

FOLLOWER_COUNT_EVERY = 600.0  # seconds


def _loop(app: Flask, stop: threading.Event, holder: str, lead: bool) -> None:
    """Run one delivery thread until stopped; the lead thread also releases notices and counts followers."""
    with app.app_context():
        deliverer = Deliverer(name=f"{holder}/{threading.get_ident()}")
        poll = app.config["NOTICE_POLL_SECONDS"]
        lease = app.config["NOTICE_LEASE_SECONDS"]
        counted_at = 0.0
        while not stop.is_set():
            try:
                if uses_single_worker_lock() and not locks.acquire(LOCK_NAME, holder, lease):
                    stop.wait(poll)  # another worker holds SQLite's single-worker lock: stand by
                    continue
                if lead:
                    schedule.release_due()
                    if time.monotonic() - counted_at > FOLLOWER_COUNT_EVERY:
                        report.record_follower_count()
                        counted_at = time.monotonic()
                worked = 0
                while not stop.is_set() and deliverer.deliver_once() is not None:
                    worked += 1
                    if uses_single_worker_lock() and worked % 20 == 0:
                        locks.acquire(LOCK_NAME, holder, lease)
                if not worked:
                    stop.wait(poll)
            except OperationalError:
                # The database went away for a moment: keep the worker alive and try again.
                db.session.rollback()
                log.exception("notice worker: database unavailable; retrying in %ss", poll)
                stop.wait(poll)
        db.session.remove()


def run(stop: threading.Event, threads: int = 1) -> None:
    """Deliver notices until stop is set, with this many delivery threads."""
    app = current_app._get_current_object()
    holder = worker_name()
    log.info("notice worker %s started with %s thread(s)", holder, threads)
    workers = [threading.Thread(target=_loop, args=(app, stop, holder, i == 0), daemon=True,
                                name=f"notices-{i}") for i in range(max(1, threads))]
    for thread in workers:
        thread.start()
    for thread in workers:
        while thread.is_alive():
            thread.join(0.5)
    if uses_single_worker_lock():
        locks.release(LOCK_NAME, holder)
    log.info("notice worker %s stopped", holder)


def send_due(max_wait: float = 60.0, threads: int = 1) -> tuple[list[int], int]:
    """Release due notices and deliver until the outbox is settled or max_wait passes; return (ids, batches)."""
    released = schedule.release_due()
    app = current_app._get_current_object()
    holder = worker_name()
    settled = [0] * max(1, threads)

    def drain(i: int) -> None:
        with app.app_context():
            deliverer = Deliverer(name=f"{holder}/{i}")
            deliverer.lock_holder = holder
            settled[i] = deliverer.drain(max_wait)
            db.session.remove()

    if threads <= 1:
        drain(0)
    else:
        pool = [threading.Thread(target=drain, args=(i,)) for i in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    if uses_single_worker_lock():
        locks.release(LOCK_NAME, holder)
    report.record_follower_count()
    return released, sum(settled)
