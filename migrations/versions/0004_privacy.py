"""privacy: mask the phone numbers, My Numbers and e-mail addresses that earlier versions logged unmasked

Revision ID: 0004_privacy
Revises: 0003_notices
Create Date: 2026-12-01 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_privacy'
down_revision = '0003_notices'
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    # The masking new rows get: older versions missed 090.1234.5678, +81-90-…, full-width addresses and more.
    from bot.conversation.privacy import mask

    logs = sa.table('question_log', sa.column('id', sa.Integer), sa.column('text', sa.Text))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(logs.c.id, logs.c.text).where(logs.c.id > last).order_by(logs.c.id).limit(BATCH)).all()
        if not rows:
            break
        for row_id, text in rows:
            masked = mask(text or '')
            if masked != (text or ''):
                connection.execute(logs.update().where(logs.c.id == row_id).values(text=masked))
        last = rows[-1][0]


def downgrade():
    pass  # masked text cannot be unmasked
