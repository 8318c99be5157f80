"""row level security: on PostgreSQL every town table shows and takes only the current town's rows

Every table with a town_id column (read from the catalog, as 0022 made them) gets row-level security, enabled and
forced (the tables' owner is bound too), and one policy, `town_isolation`: a row is visible, and may be written,
only when its town_id is the transaction's `app.town_id` (bot/core/tenancy.py sets it with SET LOCAL at the start
of every transaction). No town set: no rows. The platform's tables (towns, rate_limits, notice_worker_leases,
operators, operator_audit, alembic_version) have no town_id and no policy. SQLite: nothing to do.

A data migration written after this one runs bound by the policies too: it sets the town for each town in turn
(`SELECT set_config('app.town_id', '<id>', true)`) before it reads or writes a town table.

Revision ID: 0031_row_level_security
Revises: 0030_operators
Create Date: 2026-12-07 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031_row_level_security'
down_revision = '0030_operators'
branch_labels = None
depends_on = None

POLICY = 'town_isolation'
# STABLE (current_setting) compared with the column: the planner uses the town_id indexes. An unset or empty
# setting is NULL, which equals nothing.
CURRENT_TOWN = "NULLIF(current_setting('app.town_id', true), '')::integer"


def _town_tables(bind):
    return [row[0] for row in bind.execute(sa.text(
        "SELECT c.table_name FROM information_schema.columns c "
        "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_schema = current_schema() AND c.column_name = 'town_id' AND t.table_type = 'BASE TABLE' "
        "ORDER BY c.table_name"))]


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    quote = bind.dialect.identifier_preparer.quote
    for table in _town_tables(bind):
        name = quote(table)
        op.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {POLICY} ON {name} USING (town_id = {CURRENT_TOWN}) "
                   f"WITH CHECK (town_id = {CURRENT_TOWN})")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    quote = bind.dialect.identifier_preparer.quote
    for table in _town_tables(bind):
        name = quote(table)
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {name}")
        op.execute(f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY")
