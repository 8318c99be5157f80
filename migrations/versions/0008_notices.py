"""notices: editors and content revision of a notice, staff test recipients, role grants

Revision ID: 0008_notices
Revises: 0007_resident
Create Date: 2026-12-01 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_notices'
down_revision = '0007_resident'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('editors', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='1'))
    # Notices written before editors were recorded: their creator is the one editor known.
    notices = sa.table('notices', sa.column('id', sa.Integer()), sa.column('created_by', sa.String()),
                       sa.column('editors', sa.JSON()))
    connection = op.get_bind()
    for notice_id, created_by in connection.execute(sa.select(notices.c.id, notices.c.created_by)).all():
        if created_by:
            connection.execute(notices.update().where(notices.c.id == notice_id).values(editors=[created_by]))

    op.create_table('notice_test_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('line_user_id', sa.String(length=33), nullable=False),
    sa.Column('added_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('line_user_id')
    )

    op.create_table('role_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('granted_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['granted_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_grants_granted_by'), ['granted_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_grants_user_id'), ['user_id'], unique=False)
    _grants_from_audit_log(connection)


def _grants_from_audit_log(connection):
    """Rebuild the grants of accounts made before grants were recorded, from the audit log."""
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('email', sa.String()))
    log = sa.table('audit_log', sa.column('id', sa.Integer()), sa.column('created_at', sa.DateTime(timezone=True)),
                   sa.column('actor', sa.String()), sa.column('action', sa.String()),
                   sa.column('target_id', sa.String()), sa.column('before', sa.JSON()), sa.column('after', sa.JSON()))
    grants = sa.table('role_grants', sa.column('user_id', sa.Integer()), sa.column('role', sa.String()),
                      sa.column('granted_by', sa.Integer()), sa.column('created_at', sa.DateTime(timezone=True)))
    ids = dict(connection.execute(sa.select(users.c.email, users.c.id)).all())
    rows = connection.execute(sa.select(log.c.created_at, log.c.actor, log.c.action, log.c.target_id, log.c.before,
                                        log.c.after).where(log.c.action.in_(('user.create', 'user.update')))
                              .order_by(log.c.id)).all()
    for created_at, actor, action, target_id, before, after in rows:
        role = (after or {}).get('role')
        if not role or not str(target_id).isdigit() or int(target_id) not in ids.values():
            continue
        if action == 'user.update' and (role != 'admin' or (before or {}).get('role') == 'admin'):
            continue
        # An actor that is no staff e-mail ("cli", "ensure-dev-admin") was the command line.
        connection.execute(grants.insert().values(user_id=int(target_id), role=role, granted_by=ids.get(actor),
                                                  created_at=created_at))


def downgrade():
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_grants_user_id'))
        batch_op.drop_index(batch_op.f('ix_role_grants_granted_by'))
    op.drop_table('role_grants')
    op.drop_table('notice_test_recipients')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('revision')
        batch_op.drop_column('editors')
