"""hardening: delivery records pruned by time; wrong PINs counted per device and account;
device names encrypted; sync answers another person's id like an unused one (draft aliases);
data keys wrapped in key epochs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000

"""
import uuid
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa
from flask import current_app

from webapp.crypto import decrypt_text, encrypt_text, generate_key


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


# Device names a person may have typed, stored as text until now: (table, column, field name
# bound into the ciphertext, as webapp.push.models and webapp.auth.security_log use it).
DEVICE_NAMES = (
    ('push_subscriptions', 'device_label', 'device_label'),
    ('security_events', 'device', 'device'),
)


USERS = sa.table('users', sa.column('id', sa.Uuid()), sa.column('data_key', sa.LargeBinary()))
EPOCHS = sa.table('key_epochs', sa.column('id', sa.Uuid()), sa.column('wrapped_key', sa.LargeBinary()),
                  sa.column('created_at', sa.DateTime(timezone=True)),
                  sa.column('erased_at', sa.DateTime(timezone=True)))


class _EpochsHere:
    """The keyring's epoch store, read through this migration's own connection."""

    def current(self, keyring):
        raise RuntimeError('no new data keys are made while migrating')

    def wrapped(self, epoch_id):
        found = op.get_bind().execute(
            sa.select(EPOCHS.c.wrapped_key).where(EPOCHS.c.id == epoch_id)).scalar()
        return bytes(found) if found is not None else None


@contextmanager
def _keyring():
    """The running app's master keyring, reading key epochs through this migration."""
    try:
        keyring = current_app.extensions['tend_keyring']
    except (RuntimeError, KeyError):
        raise RuntimeError(
            "This migration re-wraps and encrypts with each person's key: run it with "
            "`flask --app wsgi db upgrade`, where Tend's master key is loaded."
        ) from None
    saved, keyring.epochs = keyring.epochs, _EpochsHere()
    try:
        yield keyring
    finally:
        keyring.epochs = saved


def _data_keys(keyring):
    """Every person's data key, unwrapped."""
    rows = op.get_bind().execute(sa.select(USERS.c.id, USERS.c.data_key)).all()
    return {user_id: keyring.unwrap(bytes(key)) for user_id, key in rows if key}


def _wrap_data_keys_in_an_epoch(keyring):
    """Every data key so far wrapped by the master key goes into one new key epoch."""
    bind = op.get_bind()
    data_keys = _data_keys(keyring)
    epoch_id, epoch_key = uuid.uuid4(), generate_key()
    bind.execute(sa.insert(EPOCHS).values(id=epoch_id, wrapped_key=keyring.wrap(epoch_key),
                                          created_at=sa.func.now()))
    for user_id, data_key in data_keys.items():
        bind.execute(sa.update(USERS).where(USERS.c.id == user_id).values(
            data_key=keyring.wrap_in_epoch(data_key, epoch_id, epoch_key)))


def _wrap_data_keys_by_the_master_key(keyring):
    bind = op.get_bind()
    for user_id, data_key in _data_keys(keyring).items():
        bind.execute(sa.update(USERS).where(USERS.c.id == user_id).values(
            data_key=keyring.wrap(data_key)))


def _rows(table, column, value_type):
    rows = sa.table(table, sa.column('id', sa.Uuid()), sa.column('user_id', sa.Uuid()),
                    sa.column(column, value_type))
    found = op.get_bind().execute(sa.select(rows.c.id, rows.c.user_id, rows.c[column])).all()
    return rows, found


def _encrypt_device_names(keyring):
    keys = _data_keys(keyring)
    bind = op.get_bind()
    for table, column, field in DEVICE_NAMES:
        _rows_table, plain = _rows(table, column, sa.String())
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=80),
                                  type_=sa.LargeBinary(),
                                  postgresql_using=f"convert_to({column}, 'UTF8')")
        sealed_table, _ = _rows(table, column, sa.LargeBinary())
        for row_id, user_id, text in plain:
            if text is None or user_id not in keys:
                continue
            sealed = encrypt_text(keys[user_id], user_id, field, text)
            bind.execute(sa.update(sealed_table).where(sealed_table.c.id == row_id)
                         .values({column: sealed}))


def _decrypt_device_names(keyring):
    """Back to text: each name is first written as its own UTF-8 bytes, then the column
    becomes text again (a plain cast on SQLite, convert_from on PostgreSQL)."""
    keys = _data_keys(keyring)
    bind = op.get_bind()
    for table, column, field in DEVICE_NAMES:
        sealed_table, sealed = _rows(table, column, sa.LargeBinary())
        for row_id, user_id, blob in sealed:
            if blob is None or user_id not in keys:
                continue
            plain = decrypt_text(keys[user_id], user_id, field, bytes(blob))[:80]
            bind.execute(sa.update(sealed_table).where(sealed_table.c.id == row_id)
                         .values({column: plain.encode()}))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.LargeBinary(),
                                  type_=sa.String(length=80),
                                  postgresql_using=f"convert_from({column}, 'UTF8')")


def upgrade():
    op.create_table('key_epochs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_epochs'))
    )
    with _keyring() as keyring:
        _wrap_data_keys_in_an_epoch(keyring)
        _encrypt_device_names(keyring)
    op.create_table('sync_draft_aliases',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('draft_id', sa.Uuid(), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_sync_draft_aliases_entry_id_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_draft_aliases_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'draft_id', name=op.f('pk_sync_draft_aliases'))
    )
    with op.batch_alter_table('sync_draft_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_draft_aliases_entry_id'), ['entry_id'], unique=False)
    with op.batch_alter_table('push_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_push_deliveries_attempted_at', ['attempted_at'], unique=False)
    # PIN hashes stored before the pepper keep working (plain Argon2) and are peppered at
    # their next successful unlock or PIN change: re-hashing needs the PIN itself.
    for table in ('users', 'device_sessions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('failed_unlocks', sa.Integer(), server_default='0', nullable=False))
    # The master-wrapped data keys just replaced must leave the table's files: PostgreSQL
    # keeps old row versions until the table is rewritten (SQLite zeroes them: secure_delete).
    if op.get_bind().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.execute('VACUUM FULL users')


def downgrade():
    with _keyring() as keyring:
        _wrap_data_keys_by_the_master_key(keyring)
        _decrypt_device_names(keyring)
    op.drop_table('key_epochs')
    with op.batch_alter_table('sync_draft_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_draft_aliases_entry_id'))
    op.drop_table('sync_draft_aliases')
    for table in ('device_sessions', 'users'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('failed_unlocks')
    with op.batch_alter_table('push_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_push_deliveries_attempted_at')
