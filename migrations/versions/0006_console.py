"""console: managed answer categories (seeded from the entries' categories)

Revision ID: 0006_console
Revises: 0005_accounts
Create Date: 2026-12-01 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_console'
down_revision = '0005_accounts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    # Every category entries already use becomes a managed one, so no entry is left outside the list.
    op.execute(
        "INSERT INTO categories (name, position, created_at) "
        "SELECT category, ROW_NUMBER() OVER (ORDER BY category), CURRENT_TIMESTAMP "
        "FROM (SELECT DISTINCT category FROM entries) AS used"
    )


def downgrade():
    op.drop_table('categories')
