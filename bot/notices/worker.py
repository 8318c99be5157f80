"""The long-running notice worker: release due notices, deliver the outbox, note follower numbers."""
from __future__ import annotations

import logging
import threading
import time
from contextlib import nullcontext

from flask import Flask, current_app
from sqlalchemy.exc import OperationalError

from bot.booking import reminders
from bot.core.tenancy import current_town_id, job_towns, use_town
from bot.extensions import db
from bot.notices import locks, report, schedule
from bot.notices.delivery import LOCK_NAME, Deliverer, uses_single_worker_lock, worker_name

log = logging.getLogger(__name__)

FOLLOWER_COUNT_EVERY = 600.0  # seconds


def _loop(app: Flask, stop: threading.Event, holder: str, lead: bool, town_id: int | None) -> None:
    """Run one delivery thread until stopped; the lead thread also releases notices and counts followers.

    Each round works for every active town in turn (or the one town the command named), inside that town."""
    with app.app_context():
        deliverer = Deliverer(name=f"{holder}/{threading.get_ident()}")
        poll = app.config["NOTICE_POLL_SECONDS"]
        lease = app.config["NOTICE_LEASE_SECONDS"]
        counted_at: dict[int, float] = {}
        while not stop.is_set():
            try:
                if uses_single_worker_lock() and not locks.acquire(LOCK_NAME, holder, lease):
                    stop.wait(poll)  # another worker holds SQLite's single-worker lock: stand by
                    continue
                worked = 0
                with use_town(town_id) if town_id is not None else nullcontext():
                    towns = job_towns()
                for town in towns:
                    with use_town(town):
                        if lead:
                            schedule.release_due()
                            reminders.send_due()  # 施設予約: the reminder the day before, exactly once
                            if time.monotonic() - counted_at.get(town.id, 0.0) > FOLLOWER_COUNT_EVERY:
                                report.record_follower_count()
                                counted_at[town.id] = time.monotonic()
                        while not stop.is_set() and deliverer.deliver_once() is not None:
                            worked += 1
                            if uses_single_worker_lock() and worked % 20 == 0:
                                locks.acquire(LOCK_NAME, holder, lease)
                        db.session.commit()  # nothing of this town's stays open into the next town
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
    town_id = current_town_id()  # --town: that town only; else every active town
    log.info("notice worker %s started with %s thread(s)", holder, threads)
    workers = [threading.Thread(target=_loop, args=(app, stop, holder, i == 0, town_id), daemon=True,
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
    """Release due notices and deliver until the outbox is settled or max_wait passes; return (ids, batches).

    Inside a town (--town), that town; else every active town in turn."""
    released, settled = [], 0
    for town in job_towns():
        with use_town(town):
            town_released, town_settled = _send_due_here(max_wait, threads)
        released += town_released
        settled += town_settled
    return released, settled


def _send_due_here(max_wait: float, threads: int) -> tuple[list[int], int]:
    released = schedule.release_due()
    reminders.send_due()  # 施設予約: a deployment that runs send-due from cron gets the reminders too
    app = current_app._get_current_object()
    holder = worker_name()
    town_id = current_town_id()
    settled = [0] * max(1, threads)

    def drain(i: int) -> None:
        with app.app_context(), use_town(town_id):
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
