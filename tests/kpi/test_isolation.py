"""Each town's KPIs are its own, enforced twice: the ORM fails closed without a town (both backends), and on
PostgreSQL row-level security (ENABLE + FORCE, policy town_isolation) hides and refuses another town's rows."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from bot.extensions import db
from bot.models import Kpi, KpiActual
from bot.models.tenancy import NoTownSelected

TABLES = ("kpis", "kpi_actuals")
POLICY = "(town_id = (NULLIF(current_setting('app.town_id'::text, true), ''::text))::integer)"


def test_no_town_no_kpi(loaded_app, no_default_town):
    with loaded_app.app_context():
        for model in (Kpi, KpiActual):
            with pytest.raises(NoTownSelected):
                db.session.scalars(select(model)).all()


def test_postgresql_enforces_the_town_on_both_tables(loaded_app):
    with loaded_app.app_context():
        if loaded_app.config["BACKEND"] != "postgresql":
            # SQLite has no row-level security: the migration must have left nothing behind that pretends to.
            leftovers = text("SELECT count(*) FROM sqlite_master WHERE sql LIKE '%app.town_id%'")
            assert db.session.execute(leftovers).scalar() == 0
            return
        flags = db.session.execute(text(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname IN ('kpis', 'kpi_actuals')"
        )).all()
        assert sorted(flags) == [("kpi_actuals", True, True), ("kpis", True, True)]
        policies = db.session.execute(text(
            "SELECT tablename, policyname, qual, with_check FROM pg_policies WHERE tablename IN ('kpis', 'kpi_actuals')"
        )).all()
        assert sorted(policies) == [(t, "town_isolation", POLICY, POLICY) for t in sorted(TABLES)]
        # The application's own role (tests/conftest.py: no superuser, no BYPASSRLS, not the owner) sees its town's
        # nine and nothing else, whatever the ORM would add.
        counts = {}
        for town in ("1", "999", ""):
            db.session.execute(text("SELECT set_config('app.town_id', :town, true)"), {"town": town})
            counts[town] = db.session.execute(text("SELECT count(*) FROM kpis")).scalar()
            db.session.rollback()
        assert counts == {"1": 9, "999": 0, "": 0}
        db.session.execute(text("SELECT set_config('app.town_id', '1', true)"))
        with pytest.raises(Exception, match="row-level security"):
            db.session.execute(text("INSERT INTO kpi_actuals (kpi_id, value, as_of, source, note, entered_by, entered_at,"
                                    " withdrawn_by, withdrawn_reason, town_id) SELECT id, '1', '2025-03-31', 'x', '', "
                                    "'x', now(), '', '', 2 FROM kpis LIMIT 1"))
        db.session.rollback()
