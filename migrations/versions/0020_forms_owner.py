"""form submissions: one active registration per LINE user and form (a unique partial index)

Revision ID: 0011_forms_owner
Revises: 0010_richmenu_pub
Create Date: 2026-12-07 00:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_forms_owner'
down_revision = '0011_rate_limits'
branch_labels = None
depends_on = None

ACTIVE_LINE_USER = "line_user_id IS NOT NULL AND status <> 'cancelled'"


def upgrade():
    # Two links of one LINE user submitted at once could store two active registrations before this index.
    # Keep the LINE tie on the newest one; the older ones stay, as web applications staff can see and merge.
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, form_slug, line_user_id FROM form_submissions WHERE " + ACTIVE_LINE_USER +
        " ORDER BY form_slug, line_user_id, created_at DESC, id DESC")).fetchall()
    seen = set()
    for row_id, slug, user in rows:
        if (slug, user) in seen:
            bind.execute(sa.text("UPDATE form_submissions SET line_user_id = NULL WHERE id = :id"), {"id": row_id})
        seen.add((slug, user))
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.create_index('uq_form_submissions_active_line_user', ['form_slug', 'line_user_id'], unique=True,
                              sqlite_where=sa.text(ACTIVE_LINE_USER), postgresql_where=sa.text(ACTIVE_LINE_USER))


def downgrade():
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.drop_index('uq_form_submissions_active_line_user')
