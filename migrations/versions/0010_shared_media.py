"""shared media: sealed copies of a share's memos, photos and drawings, and viewings

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 20:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shared_media',
    sa.Column('share_id', sa.Uuid(), nullable=False),
    sa.Column('item', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('chunk_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['share_id'], ['shares.id'], name=op.f('fk_shared_media_share_id_shares'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('share_id', 'item', name=op.f('pk_shared_media'))
    )
    op.create_table('shared_media_chunks',
    sa.Column('share_id', sa.Uuid(), nullable=False),
    sa.Column('item', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['share_id'], ['shares.id'], name=op.f('fk_shared_media_chunks_share_id_shares'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('share_id', 'item', 'position', name=op.f('pk_shared_media_chunks'))
    )
    op.create_table('share_viewings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('share_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['share_id'], ['shares.id'], name=op.f('fk_share_viewings_share_id_shares'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_viewings')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_share_viewings_token_hash'))
    )
    with op.batch_alter_table('share_viewings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_viewings_share_id'), ['share_id'], unique=False)


def downgrade():
    with op.batch_alter_table('share_viewings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_viewings_share_id'))

    op.drop_table('share_viewings')
    op.drop_table('shared_media_chunks')
    op.drop_table('shared_media')
