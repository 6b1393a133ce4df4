"""shares: private, expiring links to chosen entries, a brief or the safety plan

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shares',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('subject_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sharer_name', sa.LargeBinary(), nullable=True),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('passphrase_salt', sa.LargeBinary(), nullable=True),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=True),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('once', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_up_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_attempts', sa.SmallInteger(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shares_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shares')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_shares_secret_hash'))
    )
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.create_index('ix_shares_ended_expires', ['ended_at', 'expires_at'], unique=False)
        batch_op.create_index('ix_shares_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('share_openings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('share_id', sa.Uuid(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['share_id'], ['shares.id'], name=op.f('fk_share_openings_share_id_shares'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_openings'))
    )
    with op.batch_alter_table('share_openings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_openings_share_id'), ['share_id'], unique=False)


def downgrade():
    with op.batch_alter_table('share_openings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_openings_share_id'))

    op.drop_table('share_openings')
    with op.batch_alter_table('shares', schema=None) as batch_op:
        batch_op.drop_index('ix_shares_user_created')
        batch_op.drop_index('ix_shares_ended_expires')

    op.drop_table('shares')
