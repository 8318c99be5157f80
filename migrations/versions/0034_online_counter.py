"""online counter (オンライン窓口): chats, their messages and photos, 定型文, and the 窓口担当 permission; per town,
with row-level security

Revision ID: 0034_online_counter
Revises: 0033_facility_booking
Create Date: 2026-12-07 16:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0034_online_counter'
down_revision = '0033_facility_booking'
branch_labels = None
depends_on = None

TABLES = ('chats', 'chat_messages', 'chat_templates')
# As in 0032_kpi: a row is visible and writable only inside the transaction's town (docs/towns.md).
POLICY = "town_id = NULLIF(current_setting('app.town_id', true), '')::int"


def upgrade():
    op.create_table('chats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('user_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_reply_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_resident_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=254), nullable=False),
    sa.Column('assigned_to', sa.String(length=254), nullable=False),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.Column('unread', sa.Integer(), nullable=False),
    sa.Column('blocked', sa.Boolean(), nullable=False),
    sa.Column('read_token', sa.String(length=300), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name='fk_chats_town_id'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_chats_town_id', 'chats', ['town_id'])
    op.create_index('ix_chats_status', 'chats', ['status'])
    op.create_index('ix_chats_requested_at', 'chats', ['requested_at'])
    op.create_index('ix_chats_town_user_status', 'chats', ['town_id', 'line_user_id', 'status'])
    op.create_table('chat_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=10), nullable=False),
    sa.Column('author', sa.String(length=254), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('flag', sa.String(length=10), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.String(length=200), nullable=False),
    sa.Column('retry_key', sa.String(length=36), nullable=False),
    sa.Column('line_message_id', sa.String(length=40), nullable=False),
    sa.Column('image', sa.LargeBinary(), nullable=True),
    sa.Column('image_type', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], name='fk_chat_messages_chat_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name='fk_chat_messages_town_id'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_chat_messages_chat_id', 'chat_messages', ['chat_id'])
    op.create_index('ix_chat_messages_created_at', 'chat_messages', ['created_at'])
    op.create_index('ix_chat_messages_sent_at', 'chat_messages', ['sent_at'])
    op.create_index('ix_chat_messages_town_id', 'chat_messages', ['town_id'])
    op.create_table('chat_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=254), nullable=False),
    sa.Column('town_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['town_id'], ['towns.id'], name='fk_chat_templates_town_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('town_id', 'title', name='uq_chat_templates_title')
    )
    op.create_index('ix_chat_templates_town_id', 'chat_templates', ['town_id'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handles_chat', sa.Boolean(), nullable=False, server_default=sa.false()))
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f'ALTER TABLE {table} ENABLE ROW LEVEL SECURITY')
            op.execute(f'ALTER TABLE {table} FORCE ROW LEVEL SECURITY')
            op.execute(f'CREATE POLICY town_isolation ON {table} USING ({POLICY}) WITH CHECK ({POLICY})')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f'DROP POLICY IF EXISTS town_isolation ON {table}')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('handles_chat')
    op.drop_index('ix_chat_templates_town_id', table_name='chat_templates')
    op.drop_table('chat_templates')
    for name in ('ix_chat_messages_town_id', 'ix_chat_messages_sent_at', 'ix_chat_messages_created_at',
                 'ix_chat_messages_chat_id'):
        op.drop_index(name, table_name='chat_messages')
    op.drop_table('chat_messages')
    for name in ('ix_chats_town_user_status', 'ix_chats_requested_at', 'ix_chats_status', 'ix_chats_town_id'):
        op.drop_index(name, table_name='chats')
    op.drop_table('chats')
