"""kpi: the plan's KPIs (総合戦略のKPI) and the actual values staff enter, per town, with row-level security

Revision ID: 0032_kpi
Revises: 0031_row_level_security
Create Date: 2026-12-07 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0032_kpi'
down_revision = '0031_row_level_security'
branch_labels = None
depends_on = None

TABLES = ('kpis', 'kpi_actuals')
# The town isolation the database enforces on its own (docs/towns.md): a row is visible and writable only inside
# the transaction's town, which bot.core.tenancy sets with set_config('app.town_id', …, true).
POLICY = "town_id = NULLIF(current_setting('app.town_id', true), '')::int"


def upgrade():
    op.create_table('kpis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('goal', sa.String(length=40), nullable=False),
    sa.Column('program', sa.String(length=100), nullable=False),
    sa.Column('policy', sa.String(length=100), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=100), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('live', sa.String(length=40), nullable=False),
    sa.Column('baseline', sa.JSON(), nullable=False),
    sa.Column('target', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name='fk_kpis_town_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('town_id', 'key', name='uq_kpis_key')
    )
    op.create_index('ix_kpis_town_id', 'kpis', ['town_id'])
    op.create_table('kpi_actuals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=20), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('entered_by', sa.String(length=200), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=200), nullable=False),
    sa.Column('withdrawn_reason', sa.String(length=200), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], name='fk_kpi_actuals_kpi_id'),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name='fk_kpi_actuals_town_id'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_kpi_actuals_kpi_id', 'kpi_actuals', ['kpi_id'])
    op.create_index('ix_kpi_actuals_entered_at', 'kpi_actuals', ['entered_at'])
    op.create_index('ix_kpi_actuals_town_id', 'kpi_actuals', ['town_id'])
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f'ALTER TABLE {table} ENABLE ROW LEVEL SECURITY')
            op.execute(f'ALTER TABLE {table} FORCE ROW LEVEL SECURITY')
            op.execute(f'CREATE POLICY town_isolation ON {table} USING ({POLICY}) WITH CHECK ({POLICY})')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f'DROP POLICY IF EXISTS town_isolation ON {table}')
    op.drop_index('ix_kpi_actuals_town_id', table_name='kpi_actuals')
    op.drop_index('ix_kpi_actuals_entered_at', table_name='kpi_actuals')
    op.drop_index('ix_kpi_actuals_kpi_id', table_name='kpi_actuals')
    op.drop_table('kpi_actuals')
    op.drop_index('ix_kpis_town_id', table_name='kpis')
    op.drop_table('kpis')
