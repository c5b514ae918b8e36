"""Let an answer's level be 0, for frameworks that number their stages from 0

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from __future__ import annotations

from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_NAME = 'ck_answer_level_matches_choice'
_RULE = ("(choice = 'level' AND level IS NOT NULL AND level >= {least}) "
         "OR (choice IN ('dont_know', 'not_applicable') AND level IS NULL) "
         "OR (choice IS NULL AND level IS NULL)")


def _replace(least: int) -> None:
    # Batch mode: SQLite rebuilds the table, PostgreSQL alters it in place.
    with op.batch_alter_table('answer') as batch:
        batch.drop_constraint(op.f(_NAME), type_='check')
        batch.create_check_constraint(op.f(_NAME), _RULE.format(least=least))


def upgrade() -> None:
    _replace(0)


def downgrade() -> None:
    # Answers at level 0 cannot stay: the frameworks before this revision started at 1.
    op.execute("DELETE FROM answer WHERE choice = 'level' AND level < 1")
    _replace(1)
