"""Give workshops an agenda with timeboxes and a timer; let a report job be of a workshop

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workshop') as batch:
        batch.add_column(sa.Column('plan', sa.Text(), nullable=True))
        batch.add_column(sa.Column('timer_ends_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('timer_left', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('item_seconds', sa.Text(), nullable=True))
        batch.add_column(sa.Column('item_started_at', sa.DateTime(timezone=True),
                                   nullable=True))
    with op.batch_alter_table('report_job') as batch:
        batch.add_column(sa.Column('workshop_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('join_base', sa.String(length=500), nullable=True))
        batch.create_foreign_key(op.f('fk_report_job_workshop_id_workshop'), 'workshop',
                                 ['workshop_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('report_job') as batch:
        batch.drop_constraint(op.f('fk_report_job_workshop_id_workshop'), type_='foreignkey')
        batch.drop_column('join_base')
        batch.drop_column('workshop_id')
    with op.batch_alter_table('workshop') as batch:
        batch.drop_column('item_started_at')
        batch.drop_column('item_seconds')
        batch.drop_column('timer_left')
        batch.drop_column('timer_ends_at')
        batch.drop_column('plan')
