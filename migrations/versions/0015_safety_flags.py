"""safety flags on the question log: 緊急 / 要配慮 and what the bot replied, for the inbox and the overview

Revision ID: 0011_safety_flags
Revises: 0010_richmenu_pub
Create Date: 2026-12-07 00:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_safety_flags'
down_revision = '0010_richmenu_pub'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('question_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safety_flag', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('safety_reply', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_question_log_safety_flag'), ['safety_flag'], unique=False)
    # Safety replies logged before this revision were all 119/110/#8000 rules (no crisis rule existed yet):
    # flag them 緊急 so staff see them too, instead of leaving them out of the inbox for ever.
    op.execute("UPDATE question_log SET safety_flag = 'urgent' WHERE outcome = 'safety'")


def downgrade():
    with op.batch_alter_table('question_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_log_safety_flag'))
        batch_op.drop_column('safety_reply')
        batch_op.drop_column('safety_flag')
