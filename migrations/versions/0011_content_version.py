"""content version: users.journal_version becomes content_version, grown by any change to
what a person keeps (not only entries)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 02:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.alter_column('journal_version', new_column_name='content_version')


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.alter_column('content_version', new_column_name='journal_version')
