"""capture: feelings and body marks on entries, a person's light or dark choice

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capture', sa.LargeBinary(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('theme', sa.String(length=8), server_default='system', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('theme')
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_column('capture')
