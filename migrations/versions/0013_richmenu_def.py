"""the rich menu's definition per mode, with an optional uploaded image

Revision ID: 0010_richmenu_def
Revises: 0009_foundation
Create Date: 2026-12-01 10:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_richmenu_def'
down_revision = '0010_notices_channels'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rich_menu_definitions',
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('image', sa.LargeBinary(), nullable=True),
    sa.Column('image_type', sa.String(length=20), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('mode')
    )


def downgrade():
    op.drop_table('rich_menu_definitions')
