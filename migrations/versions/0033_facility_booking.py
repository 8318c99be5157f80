"""facility booking (施設予約): facilities, units, closures and bookings per town, with row-level security; on
PostgreSQL an exclusion constraint refuses two live bookings of one unit whose times overlap; 施設予約担当 on users

Revision ID: 0033_facility_booking
Revises: 0032_kpi
Create Date: 2026-12-07 16:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0033_facility_booking'
down_revision = '0032_kpi'
branch_labels = None
depends_on = None

TABLES = ('booking_facilities', 'booking_units', 'booking_closures', 'bookings')
# The town isolation the database enforces on its own (docs/towns.md), as in 0032_kpi.
POLICY = "town_id = NULLIF(current_setting('app.town_id', true), '')::int"


def upgrade():
    op.create_table('booking_facilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('fee_text', sa.String(length=500), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('open_days', sa.JSON(), nullable=False),
    sa.Column('opens', sa.String(length=5), nullable=False),
    sa.Column('closes', sa.String(length=5), nullable=False),
    sa.Column('closed_on_holidays', sa.Boolean(), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('days_ahead', sa.Integer(), nullable=False),
    sa.Column('deadline_days', sa.Integer(), nullable=False),
    sa.Column('max_per_resident', sa.Integer(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name='fk_booking_facilities_town_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('town_id', 'key', name='uq_booking_facilities_key')
    )
    op.create_index('ix_booking_facilities_town_id', 'booking_facilities', ['town_id'])
    op.create_table('booking_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['booking_facilities.id'], name='fk_booking_units_facility_id'),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name='fk_booking_units_town_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('town_id', 'facility_id', 'key', name='uq_booking_units_key')
    )
    op.create_index('ix_booking_units_facility_id', 'booking_units', ['facility_id'])
    op.create_index('ix_booking_units_town_id', 'booking_units', ['town_id'])
    op.create_table('booking_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['booking_facilities.id'], name='fk_booking_closures_facility_id'),
    sa.ForeignKeyConstraint(['unit_id'], ['booking_units.id'], name='fk_booking_closures_unit_id'),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name='fk_booking_closures_town_id'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_booking_closures_facility_id', 'booking_closures', ['facility_id'])
    op.create_index('ix_booking_closures_town_id', 'booking_closures', ['town_id'])
    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_no', sa.String(length=20), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('slot_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('memo', sa.String(length=1000), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=254), nullable=False),
    sa.Column('reminder_state', sa.String(length=20), nullable=False),
    sa.Column('reminder_key', sa.String(length=36), nullable=False),
    sa.Column('reminder_claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminder_attempts', sa.Integer(), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['booking_facilities.id'], name='fk_bookings_facility_id'),
    sa.ForeignKeyConstraint(['unit_id'], ['booking_units.id'], name='fk_bookings_unit_id'),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name='fk_bookings_town_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('town_id', 'receipt_no', name='uq_bookings_receipt_no'),
    sa.UniqueConstraint('town_id', 'unit_id', 'slot_start', name='uq_bookings_slot')
    )
    op.create_index('ix_bookings_facility_id', 'bookings', ['facility_id'])
    op.create_index('ix_bookings_unit_id', 'bookings', ['unit_id'])
    op.create_index('ix_bookings_line_user_id', 'bookings', ['line_user_id'])
    op.create_index('ix_bookings_reminder', 'bookings', ['reminder_state', 'starts_at'])
    op.create_index('ix_bookings_town_id', 'bookings', ['town_id'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handles_bookings', sa.Boolean(), nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name == 'postgresql':
        # btree_gist lets one GiST index compare the unit with = and the times with &&. It is a trusted extension
        # (PostgreSQL 13+): the database's owner, who runs migrations, may create it without being superuser.
        op.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
        op.execute("ALTER TABLE bookings ADD CONSTRAINT ex_bookings_overlap EXCLUDE USING gist "
                   "(town_id WITH =, unit_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
                   "WHERE (status <> 'cancelled')")
        for table in TABLES:
            op.execute(f'ALTER TABLE {table} ENABLE ROW LEVEL SECURITY')
            op.execute(f'ALTER TABLE {table} FORCE ROW LEVEL SECURITY')
            op.execute(f'CREATE POLICY town_isolation ON {table} USING ({POLICY}) WITH CHECK ({POLICY})')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f'DROP POLICY IF EXISTS town_isolation ON {table}')
        op.execute('ALTER TABLE bookings DROP CONSTRAINT IF EXISTS ex_bookings_overlap')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('handles_bookings')
    for index, table in (('ix_bookings_town_id', 'bookings'), ('ix_bookings_reminder', 'bookings'),
                         ('ix_bookings_line_user_id', 'bookings'), ('ix_bookings_unit_id', 'bookings'),
                         ('ix_bookings_facility_id', 'bookings')):
        op.drop_index(index, table_name=table)
    op.drop_table('bookings')
    op.drop_index('ix_booking_closures_town_id', table_name='booking_closures')
    op.drop_index('ix_booking_closures_facility_id', table_name='booking_closures')
    op.drop_table('booking_closures')
    op.drop_index('ix_booking_units_town_id', table_name='booking_units')
    op.drop_index('ix_booking_units_facility_id', table_name='booking_units')
    op.drop_table('booking_units')
    op.drop_index('ix_booking_facilities_town_id', table_name='booking_facilities')
    op.drop_table('booking_facilities')
