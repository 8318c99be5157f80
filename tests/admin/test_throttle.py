"""Login throttling holds under concurrency, cannot lock an owner out from elsewhere, and leaks no timing."""
from __future__ import annotations

import http.client
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, update

from bot import create_app
from bot.core import ratelimit
from bot.staff import accounts, throttle
from bot.extensions import db
from bot.models import AuditLog, RateLimitCount, User
from tests.support.console import ADMIN, EDITOR, PASSWORD, console, login  # noqa: F401  (fixtures)
from tests.conftest import base_config
from tests.support.liveserver import LiveServer
from tests.support.ratelimit import limiter_clock  # noqa: F401  (fixture)

ATTACKER = "198.51.100.66"
OWNER = "192.0.2.10"


def _client(app, address: str):
    """Return a test client whose requests come from that address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture
def hash_checks(monkeypatch):
    """Count every password-hash comparison, wherever it is made."""
    import bot.models.accounts as models_accounts

    calls = []
    lock = threading.Lock()
    real = accounts.check_password_hash

    def counting(pwhash, password):
        with lock:
            calls.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    monkeypatch.setattr(models_accounts, "check_password_hash", counting)
    return calls


def _post_login(port: int, email: str, password: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/admin/login", urlencode({"email": email, "password": password}),
                     {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_concurrent_wrong_passwords_get_at_most_the_limit_of_checks(console, hash_checks):
    attempts = 40
    start = threading.Barrier(attempts)

    def attempt(_):
        start.wait()
        return _post_login(server.port, ADMIN, "wrong guess")

    with LiveServer(console) as server, ThreadPoolExecutor(attempts) as pool:
        statuses = list(pool.map(attempt, range(attempts)))
    assert len(hash_checks) == throttle.MAX_PER_ACCOUNT_CLIENT, statuses
    assert sorted(statuses) == [401] * throttle.MAX_PER_ACCOUNT_CLIENT + [429] * (attempts - 5)
    with console.app_context():
        # The five checked failures are counted once in each of the three budgets; the 35 refusals nowhere.
        assert _counts(ADMIN, "127.0.0.1") == {"pair": 5, "client": 5, "account": 5}


def test_concurrent_guesses_across_accounts_stop_at_the_address_budget(console, hash_checks, limiter_clock):
    # Thirty accounts guessed at once from one address: the address's budget (20) holds across them all. The
    # limiter's clock stands still: a burst that straddles a one-minute step's edge may take one place more (each
    # attempt reads the time before its transaction), which is the sliding window's known slack, not a race.
    attempts = 30
    start = threading.Barrier(attempts)

    def attempt(n):
        start.wait()
        return _post_login(server.port, f"nobody{n}@example.invalid", "wrong guess")

    with LiveServer(console) as server, ThreadPoolExecutor(attempts) as pool:
        statuses = list(pool.map(attempt, range(attempts)))
    assert len(hash_checks) == throttle.MAX_PER_CLIENT
    assert sorted(statuses) == [401] * throttle.MAX_PER_CLIENT + [429] * (attempts - throttle.MAX_PER_CLIENT)
    with console.app_context():
        assert _counts("nobody0@example.invalid", "127.0.0.1")["client"] == throttle.MAX_PER_CLIENT


def _counts(email: str, ip: str) -> dict[str, int]:
    """Return what the shared limiter holds for a login's three budgets (call in an app context)."""
    who = throttle.clients(email, ip)
    return {name: sum(db.session.scalars(select(RateLimitCount.count).where(
        RateLimitCount.key == ratelimit.key_for(limit.door, who[name])))) for name, limit in throttle.DOORS.items()}


def test_an_attacker_elsewhere_cannot_lock_the_owner_out(console):
    attacker = _client(console, ATTACKER)
    for _ in range(20):
        login(attacker, ADMIN, "guess")
    assert login(attacker, ADMIN).status_code == 429  # the attacker's own address is paused
    assert login(_client(console, OWNER), ADMIN).status_code == 302


def test_one_address_is_paused_across_accounts(console):
    client = _client(console, ATTACKER)
    for n in range(throttle.MAX_PER_CLIENT):
        assert login(client, f"nobody{n}@example.invalid", "guess").status_code == 401
    assert login(client, EDITOR).status_code == 429
    assert login(_client(console, OWNER), EDITOR).status_code == 302


def test_an_account_has_a_ceiling_against_guesses_from_many_addresses(console, limiter_clock):
    for n in range(throttle.MAX_PER_ACCOUNT // throttle.MAX_PER_ACCOUNT_CLIENT):
        for _ in range(throttle.MAX_PER_ACCOUNT_CLIENT):
            assert login(_client(console, f"203.0.113.{n}"), ADMIN, "guess").status_code == 401
    assert login(_client(console, OWNER), ADMIN).status_code == 429  # a fresh address, the right password
    limiter_clock.forward(60 * 60 + 60)
    assert login(_client(console, OWNER), ADMIN).status_code == 302


def test_refused_attempts_do_not_prolong_the_pause(console, limiter_clock):
    client = _client(console, ATTACKER)
    for _ in range(5):
        login(client, ADMIN, "guess")
    for _ in range(10):
        limiter_clock.forward(60)  # a refusal every minute, for ten minutes
        assert login(client, ADMIN, "guess").status_code == 429
    with console.app_context():
        assert _counts(ADMIN, ATTACKER)["pair"] == 5
    # The five checked failures age out 15 to 16 minutes after they were made; the refusals counted nowhere.
    limiter_clock.forward(6 * 60)
    assert login(client, ADMIN).status_code == 302


def test_a_right_password_gives_its_place_back(console):
    client = _client(console, ATTACKER)
    for _ in range(4):
        login(client, ADMIN, "guess")
    for _ in range(3):
        assert login(client, ADMIN).status_code == 302  # only failures count
    with console.app_context():
        assert _counts(ADMIN, ATTACKER) == {"pair": 4, "client": 4, "account": 4}
    assert login(client, ADMIN, "guess").status_code == 401
    assert login(client, ADMIN).status_code == 429


def test_a_lockout_is_written_to_the_audit_log_once(console):
    client = _client(console, ATTACKER)
    for _ in range(8):
        login(client, ADMIN, "guess")
    with console.app_context():
        rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "login.lockout")).all()
        assert len(rows) == 1
        assert ADMIN in rows[0].summary and "198.51.100.66" in rows[0].summary and "15分間" in rows[0].summary


def test_a_lockout_for_an_unknown_account_does_not_write_down_what_was_typed(console):
    client = _client(console, ATTACKER)
    for _ in range(5):
        login(client, "someone.private@example.invalid", "guess")
    with console.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "login.lockout"))
        assert "登録のないアカウント" in row.summary and "someone.private" not in row.summary + str(row.after)


@pytest.mark.parametrize("case", ["unknown", "disabled", "wrong", "right"])
def test_every_answer_costs_exactly_one_password_hash(console, hash_checks, case):
    with console.app_context():
        if case == "disabled":
            db.session.execute(update(User).where(User.email == EDITOR).values(active=False))
            db.session.commit()
    email = "nobody@example.invalid" if case == "unknown" else EDITOR
    status = login(console.test_client(), email, PASSWORD if case in ("disabled", "right") else "guess").status_code
    assert status == (302 if case == "right" else 401)
    assert len(hash_checks) == 1


def test_a_throttled_answer_checks_no_password(console, hash_checks):
    client = console.test_client()
    for _ in range(5):
        login(client, ADMIN, "guess")
    del hash_checks[:]
    assert login(client, ADMIN).status_code == 429
    assert hash_checks == []


@pytest.fixture
def app_with_proxies(app, fake_line):
    """Return a function making an app on the test database that trusts that many proxies."""
    made = []

    def make(proxies: int):
        config = {**base_config(app.config["SQLALCHEMY_DATABASE_URI"], fake_line), "TRUSTED_PROXIES": proxies,
                  "WTF_CSRF_ENABLED": False}
        made.append(create_app(config))
        return made[-1]

    yield make
    for other in made:
        other.extensions["line_sender"].close()
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def _login_from(client, forwarded_for: str):
    data = {"email": ADMIN, "password": "guess"}
    return client.post("/admin/login", data=data, headers={"X-Forwarded-For": forwarded_for})


def _counted_for(app, ip: str) -> int:
    """Return the failures the limiter holds for that client address (the key is an HMAC of it)."""
    with app.app_context():
        return _counts(ADMIN, ip)["client"]


def test_behind_a_trusted_proxy_the_client_address_comes_from_x_forwarded_for(app_with_proxies):
    proxied = app_with_proxies(1)
    client = _client(proxied, "10.0.0.1")  # the proxy
    assert _login_from(client, "203.0.113.7").status_code == 401
    assert _counted_for(proxied, "203.0.113.7") == 1 and _counted_for(proxied, "10.0.0.1") == 0
    # With two addresses only the one the trusted proxy appended counts; the client wrote the first.
    _login_from(client, "192.0.2.99, 203.0.113.8")
    assert _counted_for(proxied, "203.0.113.8") == 1 and _counted_for(proxied, "192.0.2.99") == 0


def test_without_trusted_proxies_a_forged_header_is_ignored(app_with_proxies):
    direct = app_with_proxies(0)
    client = _client(direct, "192.0.2.50")
    assert _login_from(client, "203.0.113.7").status_code == 401
    assert _counted_for(direct, "192.0.2.50") == 1 and _counted_for(direct, "203.0.113.7") == 0
