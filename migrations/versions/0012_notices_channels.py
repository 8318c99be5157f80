"""notices taken off the page, the feed and the screens after they went out on LINE

Revision ID: 0010_notices_channels
Revises: 0009_foundation
Create Date: 2026-12-01 10:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_notices_channels'
down_revision = '0010_offices'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unpublished_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('unpublished_by', sa.String(length=200), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('unpublished_by')
        batch_op.drop_column('unpublished_at')
