"""Staff accounts: users and roles, the grants behind the two-person rule, login throttling and ending sessions.

`accounts.py`, `grants.py`, `sessions.py` and `throttle.py` are the services (each change commits and writes its
audit row), `console.py` the 「ユーザー」 page, `cli.py` the `flask users …` commands, `inputs.py` the forms. The
console shell (bot/admin) keeps login, logout, the account page and the session loader, and uses these services.
"""
