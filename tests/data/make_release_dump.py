"""Make tests/data/release-c4924bc-demo.sql: the demo data of the last single-town release, as SQL INSERTs.

tests/app/test_upgrade_release.py loads this file into a database migrated to that release's head revision with the
current migrations folder, upgrades it to head and checks that nothing was lost. The file is made once, like this:

    git worktree add /tmp/prev c4924bc          # the previous release (before towns)
    ln -s "$PWD/.venv" /tmp/prev/.venv          # any venv with the project's requirements
    .venv/bin/python tests/data/make_release_dump.py /tmp/prev > tests/data/release-c4924bc-demo.sql
    git worktree remove --force /tmp/prev

The script makes a fresh SQLite database with that checkout's own code: `flask db upgrade`, `flask kb import`,
`flask demo seed` (made-up residents: `Udemo…` LINE ids, `demo-…@example.invalid` staff), then a town name, a
signage facility with a screen, a form submission with its used link, a notice test recipient and a notice shown on the web (made-up, with
that release's own services and models: the demo leaves those tables empty). It prints the rows of every table but alembic_version as INSERT statements, data only, parents before
children, one statement per line: literals both SQLite and PostgreSQL read (TRUE/FALSE, '' quoting, timestamps as
that release stored them: UTC without a zone). Nothing comes from ../shared/bench-data.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

# The demo staff accounts' password (test_upgrade_release.py logs in with it).
PASSWORD = "demo horse battery staple"
RELEASE = "c4924bc"

# Run inside the release's checkout, with its own app: what the demo leaves empty, filled through its services.
EXTRAS = r'''
import secrets
from app import app
from bot.extensions import db
from bot.forms import store
from bot.models import FormLinkUse, FormSubmission, FormVersion, TestRecipient
from bot.notices import workflow
from bot.signage import facilities
from bot.town import settings

with app.app_context():
    settings.save({"name": "北海道芦別市"}, "cli")  # not the default (TOWN_NAME): the town is named from it
    facilities.add_screen_at("市民会館", "ロビー", "市民会館1階", "cli")
    version = db.session.query(FormVersion).order_by(FormVersion.id).first()
    nonce = secrets.token_hex(16)
    db.session.add(FormSubmission(
        receipt_no=store.receipt_for(nonce, version.slug), form_slug=version.slug, form_version_id=version.id,
        answers={"name": "芦別 花子", "kana": "あしべつ はなこ", "email": "hanako@example.invalid",
                 "prefecture": "北海道", "city": "札幌市中央区", "relation": ["芦別出身"], "interests": [],
                 "contact_via": "メール", "consent": True},
        channel="line", line_user_id="Udemo" + "9" * 28, email_key=store.email_key("hanako@example.invalid")))
    db.session.add(FormLinkUse(nonce=nonce))
    db.session.add(TestRecipient(name="広報係", line_user_id="Udemo" + "8" * 28, added_by="demo-admin@example.invalid"))
    db.session.commit()
    # A notice on the web page and feed (the demo's are LINE only), approved by the other person.
    web = workflow.create(workflow.Draft("市民会館の休館日のお知らせ", "12月29日から1月3日まで市民会館は休館します。",
                                         channels=("web",)), "demo-editor@example.invalid")
    workflow.request_send(web, "demo-editor@example.invalid")
    if web.status == "pending_approval":
        workflow.approve(web, "demo-admin@example.invalid", web.revision)
'''


def build(checkout: Path, database: Path) -> None:
    """Make the release's demo database with its own commands."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "APP_ENV": "development"}
    flask = [str(checkout / ".venv" / "bin" / "flask"), "--app", "app"]
    for args in (["db", "upgrade"], ["kb", "import", "knowledge"], ["demo", "seed", "--password", PASSWORD]):
        subprocess.run(flask + args, cwd=checkout, env=env, check=True, stdout=sys.stderr)
    subprocess.run([str(checkout / ".venv" / "bin" / "python"), "-c", EXTRAS], cwd=checkout, env=env, check=True,
                   stdout=sys.stderr)


def literal(value, declared: str) -> str:
    """Render one stored value as an SQL literal both backends read the same way."""
    if value is None:
        return "NULL"
    if declared.upper() == "BOOLEAN":
        return "TRUE" if value else "FALSE"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (bytes, memoryview)):
        raise SystemExit(f"binary values are not dumped (no literal both backends read): {declared}")
    if isinstance(value, (datetime, date)):
        value = value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return "'" + str(value).replace("'", "''") + "'"


def dump(database: Path) -> str:
    """Return every row of the database (but alembic_version) as INSERT statements, parents first."""
    import sqlite3

    from sqlalchemy import MetaData, create_engine

    engine = create_engine(f"sqlite:///{database}")
    metadata = MetaData()
    metadata.reflect(engine)
    engine.dispose()
    connection = sqlite3.connect(database)
    lines = [f"-- The demo data of release {RELEASE} (before towns), made by tests/data/make_release_dump.py.",
             "-- Data only: load it into a database migrated to 0012_login_limits. Made-up people only."]
    for table in metadata.sorted_tables:
        if table.name == "alembic_version":
            continue
        declared = {row[1]: row[2] for row in connection.execute(f'PRAGMA table_info("{table.name}")')}
        columns = list(declared)
        order = ", ".join(f'"{c}"' for c in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        rows = connection.execute(f'SELECT {order} FROM "{table.name}" ORDER BY rowid').fetchall()
        for row in rows:
            values = ", ".join(literal(v, declared[c]) for c, v in zip(columns, row))
            line = f'INSERT INTO "{table.name}" ({names}) VALUES ({values});'
            if "\n" in line:
                line = line.replace("\r", "")
            lines.append(line)
    connection.close()
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    checkout = Path(argv[0]).resolve()
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "release.sqlite3"
        build(checkout, database)
        sys.stdout.write(dump(database))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
