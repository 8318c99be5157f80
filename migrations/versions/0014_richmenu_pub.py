"""rich-menu publications: the LINE menu id per mode, when and by whom, what replaced it

Revision ID: 0010_richmenu_pub
Revises: 0010_richmenu_def
Create Date: 2026-12-01 10:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_richmenu_pub'
down_revision = '0010_richmenu_def'  # chained after the definition's table (was 0009_foundation)
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('richmenu_publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('line_menu_id', sa.String(length=100), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=254), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('line_menu_id')
    )
    with op.batch_alter_table('richmenu_publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_richmenu_publications_mode'), ['mode'], unique=False)


def downgrade():
    with op.batch_alter_table('richmenu_publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_richmenu_publications_mode'))

    op.drop_table('richmenu_publications')
