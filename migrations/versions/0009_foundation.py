"""foundation of the front door, forms and signage: town settings, form versions and submissions, facilities
and screens, notice channels and display period, the applications permission

Revision ID: 0009_foundation
Revises: 0008_notices
Create Date: 2026-12-01 09:56:50.680336

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_foundation'
down_revision = '0008_notices'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('facilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('form_settings',
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('paper_registrations', sa.Integer(), nullable=False),
    sa.Column('retention_days', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('slug')
    )
    op.create_table('form_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug', 'version')
    )
    with op.batch_alter_table('form_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_versions_slug'), ['slug'], unique=False)

    op.create_table('town_settings',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('form_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_no', sa.String(length=20), nullable=False),
    sa.Column('form_slug', sa.String(length=80), nullable=False),
    sa.Column('form_version_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=True),
    sa.Column('email_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['form_version_id'], ['form_versions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('receipt_no')
    )
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_submissions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submissions_email_key'), ['email_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submissions_form_slug'), ['form_slug'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submissions_form_version_id'), ['form_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submissions_line_user_id'), ['line_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submissions_status'), ['status'], unique=False)

    op.create_table('signage_screens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('key_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_digest')
    )
    with op.batch_alter_table('signage_screens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signage_screens_facility_id'), ['facility_id'], unique=False)

    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channels', sa.JSON(), nullable=False, server_default='["line"]'))
        batch_op.add_column(sa.Column('signage_facility_ids', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('display_from', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('display_until', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handles_applications', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('handles_applications')

    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('display_until')
        batch_op.drop_column('display_from')
        batch_op.drop_column('signage_facility_ids')
        batch_op.drop_column('channels')

    with op.batch_alter_table('signage_screens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signage_screens_facility_id'))

    op.drop_table('signage_screens')
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_submissions_status'))
        batch_op.drop_index(batch_op.f('ix_form_submissions_line_user_id'))
        batch_op.drop_index(batch_op.f('ix_form_submissions_form_version_id'))
        batch_op.drop_index(batch_op.f('ix_form_submissions_form_slug'))
        batch_op.drop_index(batch_op.f('ix_form_submissions_email_key'))
        batch_op.drop_index(batch_op.f('ix_form_submissions_created_at'))

    op.drop_table('form_submissions')
    op.drop_table('town_settings')
    with op.batch_alter_table('form_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_versions_slug'))

    op.drop_table('form_versions')
    op.drop_table('form_settings')
    op.drop_table('facilities')
