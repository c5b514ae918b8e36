"""Let an organisation choose the framework its roadmap uses

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisation') as batch:
        batch.add_column(sa.Column('roadmap_framework_id',
                                   sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('organisation') as batch:
        batch.drop_column('roadmap_framework_id')
