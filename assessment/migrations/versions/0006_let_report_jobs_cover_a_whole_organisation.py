"""Let report jobs cover a whole organisation: a roadmap report has no round

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.alter_column('round_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Organisation-wide jobs have no round to keep: they go (they are kept a day anyway).
    op.execute("DELETE FROM report_job WHERE round_id IS NULL")
    with op.batch_alter_table('report_job', schema=None) as batch_op:
        batch_op.alter_column('round_id', existing_type=sa.Integer(), nullable=False)
