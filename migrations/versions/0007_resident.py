"""resident: simulated residents (the simulator's and the CLI's) in followers, never counted or sent to

Revision ID: 0007_resident
Revises: 0006_console
Create Date: 2026-12-01 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_resident'
down_revision = '0006_console'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('followers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('simulated', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_check_constraint('ck_followers_simulated_ids', "simulated OR line_user_id NOT LIKE 'sim-%'")


def downgrade():
    with op.batch_alter_table('followers', schema=None) as batch_op:
        batch_op.drop_constraint('ck_followers_simulated_ids', type_='check')
        batch_op.drop_column('simulated')
