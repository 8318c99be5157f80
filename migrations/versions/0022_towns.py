"""towns: a town is a tenant; every town table gets town_id, and every unique key includes it

An existing single-town database moves into town 1 ('default', named after its 町の設定 name): nothing is lost,
and unprefixed paths keep serving it (DEFAULT_TOWN).

Revision ID: 0022_towns
Revises: 0012_login_limits
Create Date: 2026-12-07 06:30:00.000000

"""
import warnings

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_towns'
down_revision = '0012_login_limits'
branch_labels = None
depends_on = None

# table: (unique keys before → the same keys with town_id, by their new names)
UNIQUES = {
    'users': [('uq_users_email', ['email'])],
    'role_grants': [],
    'audit_log': [],
    'categories': [('uq_categories_name', ['name'])],
    'processed_events': [('uq_processed_events_webhook_event_id', ['webhook_event_id'])],
    'question_log': [],
    'followers': [('uq_followers_line_user_id', ['line_user_id'])],
    'form_versions': [('uq_form_versions_slug_version', ['slug', 'version'])],
    'form_submissions': [('uq_form_submissions_receipt_no', ['receipt_no'])],
    'inbox_resolutions': [('uq_inbox_resolutions_question_id', ['question_id'])],
    'entries': [('uq_entries_slug', ['slug'])],
    'entry_revisions': [('uq_entry_revisions_entry_id_number', ['entry_id', 'number'])],
    'knowledge_version': [('uq_knowledge_version_town', [])],  # one content version per town
    'notice_subscriptions': [('uq_notice_subscriptions_follower_id_topic', ['follower_id', 'topic'])],
    'notice_offers': [('uq_notice_offers_follower_id_topic', ['follower_id', 'topic'])],
    'notice_optouts': [('uq_notice_optouts_follower_id', ['follower_id'])],
    'notices': [],
    'notice_test_recipients': [('uq_notice_test_recipients_line_user_id', ['line_user_id'])],
    'notice_batches': [('uq_notice_batches_retry_key', ['retry_key'])],
    'follower_counts': [('uq_follower_counts_day', ['day'])],
    'offices': [('uq_offices_key', ['key'])],
    'office_revisions': [('uq_office_revisions_office_id_number', ['office_id', 'number'])],
    'richmenu_publications': [('uq_richmenu_publications_line_menu_id', ['line_menu_id'])],
    'shelters': [('uq_shelters_key', ['key'])],
    'facilities': [('uq_facilities_name', ['name'])],
    'signage_screens': [('uq_signage_screens_key_digest', ['key_digest'])],
}
# Tables keyed by a name: the key becomes (town_id, name).
KEYED = {'form_link_uses': 'nonce', 'form_settings': 'slug', 'rich_menu_definitions': 'mode', 'town_settings': 'key'}
# Columns that were unique alone and are looked up alone: they keep an index of their own.
STILL_INDEXED = {'inbox_resolutions': 'question_id', 'notice_optouts': 'follower_id'}
ACTIVE_LINE_USER = "line_user_id IS NOT NULL AND status <> 'cancelled'"
TOWN_TABLES = [*UNIQUES, *KEYED]


def upgrade():
    bind = op.get_bind()
    op.create_table('towns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('line_channel_secret', sa.Text(), nullable=False),
    sa.Column('line_access_token', sa.Text(), nullable=False),
    sa.Column('line_bot_user_id', sa.String(length=64), nullable=False),
    sa.Column('pack_dir', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    name = bind.execute(sa.text("SELECT value FROM town_settings WHERE key = 'name'")).scalar() or _configured_name()
    now = sa.func.now() if bind.dialect.name == 'postgresql' else sa.text('CURRENT_TIMESTAMP')
    towns = sa.table('towns', *(sa.column(c) for c in ('id', 'slug', 'name', 'status', 'line_channel_secret',
                                                        'line_access_token', 'line_bot_user_id', 'pack_dir',
                                                        'created_at', 'updated_at')))
    bind.execute(towns.insert().values(id=1, slug='default', name=name[:100] or '既定の町', status='active',
                                       line_channel_secret='', line_access_token='', line_bot_user_id='',
                                       pack_dir='', created_at=now, updated_at=now))
    if bind.dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('towns', 'id'), 1)")

    for table in TOWN_TABLES:
        # Nullable first, every row into town 1, then NOT NULL: no server default is left behind, so a row
        # written without a town is refused by the database itself.
        with op.batch_alter_table(table, recreate='never') as batch_op:
            batch_op.add_column(sa.Column('town_id', sa.Integer(), nullable=True))
        op.execute(f'UPDATE "{table}" SET town_id = 1')

    if bind.dialect.name == 'postgresql':
        _postgresql(bind)
    else:
        _sqlite(bind)


def _configured_name():
    from flask import current_app, has_app_context

    return current_app.config.get('TOWN_NAME', '') if has_app_context() else ''


def _postgresql(bind):
    inspector = sa.inspect(bind)
    for table in TOWN_TABLES:
        op.alter_column(table, 'town_id', nullable=False)
        op.create_foreign_key(f'fk_{table}_town_id', table, 'towns', ['town_id'], ['id'])
    for table, keys in UNIQUES.items():
        existing = {tuple(u['column_names']): u['name'] for u in inspector.get_unique_constraints(table)}
        for new_name, columns in keys:
            if columns:
                op.drop_constraint(existing[tuple(columns)], table, type_='unique')
            op.create_unique_constraint(new_name, table, ['town_id', *columns])
        op.create_index(f'ix_{table}_town_id', table, ['town_id'])
    for table, column in KEYED.items():
        op.drop_constraint(inspector.get_pk_constraint(table)['name'], table, type_='primary')
        op.create_primary_key(f'{table}_pkey', table, ['town_id', column])
    _after_keys()


def _sqlite(bind):
    inspector = sa.inspect(bind)
    for table in TOWN_TABLES:
        # SQLite cannot alter constraints: the table is copied (batch mode), with the old unnamed unique keys named
        # by this convention so they can be dropped.
        convention = {'uq': 'old_%(table_name)s_%(column_0_name)s'}
        keys = UNIQUES.get(table, [])
        with warnings.catch_warnings(), \
                op.batch_alter_table(table, recreate='always', naming_convention=convention) as batch_op:
            # The new primary key (town_id, name) replaces the copied one: SQLAlchemy warns that it does.
            warnings.filterwarnings('ignore', message='.*specifies columns .* as primary_key=True')
            batch_op.alter_column('town_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(f'fk_{table}_town_id', 'towns', ['town_id'], ['id'])
            old = {tuple(u['column_names']) for u in inspector.get_unique_constraints(table)}
            for new_name, columns in keys:
                if columns and tuple(columns) in old:
                    batch_op.drop_constraint(f'old_{table}_{columns[0]}', type_='unique')
                batch_op.create_unique_constraint(new_name, ['town_id', *columns])
            if table in KEYED:
                batch_op.create_primary_key(f'{table}_pkey', ['town_id', KEYED[table]])
            else:
                batch_op.create_index(f'ix_{table}_town_id', ['town_id'])
    _after_keys()


def _after_keys():
    for table, column in STILL_INDEXED.items():
        op.create_index(f'ix_{table}_{column}', table, [column])
    op.drop_index('uq_form_submissions_active_line_user', table_name='form_submissions')
    op.create_index('uq_form_submissions_active_line_user', 'form_submissions', ['town_id', 'form_slug', 'line_user_id'],
                    unique=True, sqlite_where=sa.text(ACTIVE_LINE_USER), postgresql_where=sa.text(ACTIVE_LINE_USER))


def downgrade():
    # Only a single-town database can go back: merging towns would make their unique keys collide.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM towns WHERE id <> 1")).scalar():
        raise RuntimeError("0022_towns: this database holds more than one town and cannot be downgraded")
    op.drop_index('uq_form_submissions_active_line_user', table_name='form_submissions')
    op.create_index('uq_form_submissions_active_line_user', 'form_submissions', ['form_slug', 'line_user_id'],
                    unique=True, sqlite_where=sa.text(ACTIVE_LINE_USER), postgresql_where=sa.text(ACTIVE_LINE_USER))
    for table, column in STILL_INDEXED.items():
        op.drop_index(f'ix_{table}_{column}', table_name=table)
    postgres = bind.dialect.name == 'postgresql'
    for table in TOWN_TABLES:
        with warnings.catch_warnings(), \
                op.batch_alter_table(table, recreate='auto' if postgres else 'always') as batch_op:
            warnings.filterwarnings('ignore', message='.*specifies columns .* as primary_key=True')
            for name, columns in UNIQUES.get(table, []):
                batch_op.drop_constraint(name, type_='unique')
                if columns:
                    batch_op.create_unique_constraint(f"{table}_{'_'.join(columns)}_key", columns)
            if table in KEYED:
                batch_op.drop_constraint(f'{table}_pkey', type_='primary')
                batch_op.create_primary_key(f'{table}_pkey', [KEYED[table]])
            else:
                batch_op.drop_index(f'ix_{table}_town_id')
            batch_op.drop_constraint(f'fk_{table}_town_id', type_='foreignkey')
            batch_op.drop_column('town_id')
    op.drop_table('towns')
