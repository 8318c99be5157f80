"""Login throttling on the one shared limiter (bot/core/ratelimit.py): only failed password checks count.

An attempt takes a place in all three budgets at once before its password is checked (all or none, atomic), so
concurrent guesses cannot slip past; the right password gives its places back. A refused attempt counts nowhere,
so hammering a paused login does not prolong the pause.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.core import ratelimit

# Five wrong passwords for one account from one client pause that pair for a quarter hour; a client
# gets more room across accounts (a shared office NAT). Only the pair and the client are locked, so a
# stranger who knows a staff e-mail cannot lock its owner out from elsewhere.
WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT_CLIENT = 5
MAX_PER_CLIENT = 20
# A high ceiling per account against guessing spread over many addresses.
ACCOUNT_WINDOW = timedelta(hours=1)
MAX_PER_ACCOUNT = 100
# What a paused login page says (the staff console's and the operator's).
PAUSED_MESSAGE = "ログインの失敗が続いたため、この端末からはしばらくログインできません。15分ほど待ってから、もう一度お試しください。"
# Counted in one-minute steps: a pause ends 15 minutes (give or take one step) after the failure that filled it.
STEP = 60
LIMITS = {"pair": MAX_PER_ACCOUNT_CLIENT, "client": MAX_PER_CLIENT, "account": MAX_PER_ACCOUNT}
DOORS = {
    "pair": ratelimit.Limit("login_pair", MAX_PER_ACCOUNT_CLIENT, int(WINDOW.total_seconds()), STEP),
    "client": ratelimit.Limit("login_client", MAX_PER_CLIENT, int(WINDOW.total_seconds()), STEP),
    "account": ratelimit.Limit("login_account", MAX_PER_ACCOUNT, int(ACCOUNT_WINDOW.total_seconds()), STEP),
}


@dataclass
class Admission:
    """Whether an attempt may check a password, and which limits it reaches if that check fails."""

    taken: ratelimit.Taken
    throttled: bool
    at_limit: list[str] = field(default_factory=list)


def clients(email: str, ip: str) -> dict[str, str]:
    """Return who each budget counts for: the account and address together, the address, the account. An account
    is the current town's (two towns may have staff with the same e-mail); an address is counted across towns."""
    return {"pair": ratelimit.in_town(f"{email}\x00{ip}"), "client": ip, "account": ratelimit.in_town(email)}


def admit(email: str, ip: str) -> Admission:
    """Count the attempt as a failure in every budget at once, or in none when one is spent; commit."""
    who = clients(email, ip)
    taken = ratelimit.take([(limit, who[name]) for name, limit in DOORS.items()])
    if not taken:
        return Admission(taken, True)
    return Admission(taken, False, [name for name, limit in DOORS.items() if limit in taken.full])


def succeeded(admission: Admission) -> None:
    """The password was right: the attempt is not a failure, give its places back."""
    ratelimit.give_back(admission.taken)
