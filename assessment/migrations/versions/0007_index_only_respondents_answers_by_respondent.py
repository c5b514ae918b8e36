"""Index only respondents' answers by respondent, so that SQLite finds an assessment's own
answers through uq_answer_own

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

RESPONDENTS_ONLY = sa.text('respondent_id IS NOT NULL')


def upgrade() -> None:
    # Without statistics SQLite looked an assessment's own answers (respondent NULL) up
    # through this index, that is through every own answer in the database.
    op.drop_index('ix_answer_respondent_id', table_name='answer')
    op.create_index('ix_answer_respondent_id', 'answer', ['respondent_id'], unique=False,
                    sqlite_where=RESPONDENTS_ONLY, postgresql_where=RESPONDENTS_ONLY)


def downgrade() -> None:
    op.drop_index('ix_answer_respondent_id', table_name='answer')
    op.create_index('ix_answer_respondent_id', 'answer', ['respondent_id'], unique=False)
