"""role grants: an admin grant made in the console is confirmed (or refused) by another admin

Revision ID: 0011_grant_confirm
Revises: 0010_richmenu_pub
Create Date: 2026-12-07 00:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_grant_confirm'
down_revision = '0011_safety_flags'
branch_labels = None
depends_on = None


def upgrade():
    # Grants made before this revision stay undecided: they keep tying accounts to their makers, as before,
    # until another admin confirms them in ユーザー.
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('decided_by', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by')
        batch_op.drop_column('decision')
