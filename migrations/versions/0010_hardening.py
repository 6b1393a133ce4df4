"""hardening: delivery records pruned by time; wrong PINs counted per device and account

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('push_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_push_deliveries_attempted_at', ['attempted_at'], unique=False)
    # PIN hashes stored before the pepper keep working (plain Argon2) and are peppered at
    # their next successful unlock or PIN change: re-hashing needs the PIN itself.
    for table in ('users', 'device_sessions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('failed_unlocks', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    for table in ('device_sessions', 'users'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('failed_unlocks')
    with op.batch_alter_table('push_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_push_deliveries_attempted_at')
