"""operators: the platform's operators (運用者) and their audit log; platform tables with no town_id

Revision ID: 0030_operators
Revises: 0022_towns
Create Date: 2026-12-07 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030_operators'
down_revision = '0022_towns'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('operators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_table('operator_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('operator', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('town_slug', sa.String(length=40), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('operator_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_audit_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_operator_audit_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_operator_audit_town_slug'), ['town_slug'], unique=False)


def downgrade():
    with op.batch_alter_table('operator_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_audit_town_slug'))
        batch_op.drop_index(batch_op.f('ix_operator_audit_created_at'))
        batch_op.drop_index(batch_op.f('ix_operator_audit_action'))
    op.drop_table('operator_audit')
    op.drop_table('operators')
