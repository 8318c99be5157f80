"""forms from the public side: the used nonces of signed LINE form links

Revision ID: 0010_forms_public
Revises: 0009_foundation
Create Date: 2026-12-01 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_forms_public'
down_revision = '0009_foundation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_link_uses',
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nonce')
    )
    with op.batch_alter_table('form_link_uses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_link_uses_used_at'), ['used_at'], unique=False)


def downgrade():
    with op.batch_alter_table('form_link_uses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_link_uses_used_at'))

    op.drop_table('form_link_uses')
