"""media: voice memos, photos and drawings, with their encrypted chunks

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:43:08.727175

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('media',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('processing_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('problem', sa.String(length=300), nullable=True),
    sa.Column('new_entry', sa.Boolean(), nullable=False),
    sa.Column('declared_size', sa.BigInteger(), nullable=False),
    sa.Column('received', sa.BigInteger(), nullable=False),
    sa.Column('pieces', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('chunk_count', sa.Integer(), nullable=False),
    sa.Column('thumb_size', sa.BigInteger(), nullable=False),
    sa.Column('thumb_chunk_count', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('original_sha256', sa.String(length=64), nullable=True),
    sa.Column('in_brief', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_media_entry_id_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_media_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media'))
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index('ix_media_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('media_chunks',
    sa.Column('media_id', sa.Uuid(), nullable=False),
    sa.Column('variant', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_media_chunks_media_id_media'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_media_chunks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('media_id', 'variant', 'position', name=op.f('pk_media_chunks'))
    )
    with op.batch_alter_table('media_chunks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_chunks_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('media_chunks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_chunks_user_id'))

    op.drop_table('media_chunks')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index('ix_media_user_created')
        batch_op.drop_index(batch_op.f('ix_media_entry_id'))

    op.drop_table('media')
