"""rich-menu publications keep the menu as residents got it, so the next publish shows what changed

Revision ID: 0011_richmenu_review
Revises: 0010_richmenu_pub
Create Date: 2026-12-07 00:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_richmenu_review'
down_revision = '0011_grant_confirm'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('richmenu_publications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snapshot', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('richmenu_publications', schema=None) as batch_op:
        batch_op.drop_column('snapshot')
