"""Limit joins per address and let facilitators remove seats

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('workshop_join',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_workshop_join_workshop_id_workshop')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_join'))
    )
    op.create_index('ix_workshop_join_address_at', 'workshop_join',
                    ['workshop_id', 'address', 'created_at'], unique=False)
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('removed_at')
    op.drop_index('ix_workshop_join_address_at', table_name='workshop_join')
    op.drop_table('workshop_join')
