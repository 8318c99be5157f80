"""offices (担当課) as records with revisions; entries name their office

Revision ID: 0010_offices
Revises: 0009_foundation
Create Date: 2026-12-01 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_offices'
down_revision = '0010_forms_public'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('offices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('hours', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('imported_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('office_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('office_id', 'number')
    )
    with op.batch_alter_table('office_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_revisions_office_id'), ['office_id'], unique=False)

    with op.batch_alter_table('entries', schema=None) as batch_op:
        # Existing entries name no office: the plan names none, so they keep their free-text contact.
        batch_op.add_column(sa.Column('office', sa.String(length=80), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_column('office')

    with op.batch_alter_table('office_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_revisions_office_id'))

    op.drop_table('office_revisions')
    op.drop_table('offices')
