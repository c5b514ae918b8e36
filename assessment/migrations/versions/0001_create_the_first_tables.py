"""Create the first tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('framework_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_framework_version')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_framework_version_content_hash'))
    )
    with op.batch_alter_table('framework_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_framework_version_framework_id'), ['framework_id'], unique=False)

    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation'))
    )
    op.create_table('round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('framework_version_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['framework_version_id'], ['framework_version.id'], name=op.f('fk_round_framework_version_id_framework_version')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_round_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round')),
    sa.UniqueConstraint('organisation_id', 'name', name=op.f('uq_round_organisation_id'))
    )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_framework_version_id'), ['framework_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_unit_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['parent_id'], ['unit.id'], name=op.f('fk_unit_parent_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit'))
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_parent_id'), ['parent_id'], unique=False)

    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_assessment_round_id_round')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_assessment_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment')),
    sa.UniqueConstraint('round_id', 'unit_id', 'kind', name=op.f('uq_assessment_round_id'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_unit_id'), ['unit_id'], unique=False)

    op.create_table('respondent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('nickname', sa.String(length=60), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_respondent_assessment_id_assessment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_respondent'))
    )
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_respondent_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=True),
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('choice', sa.String(length=16), nullable=True),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(choice = 'level' AND level IS NOT NULL AND level >= 1) OR (choice IN ('dont_know', 'not_applicable') AND level IS NULL) OR (choice IS NULL AND level IS NULL)", name=op.f('ck_answer_level_matches_choice')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_answer_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondent.id'], name=op.f('fk_answer_respondent_id_respondent')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer'))
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_respondent_id'), ['respondent_id'], unique=False)
        batch_op.create_index('uq_answer_own', ['assessment_id', 'question_id'], unique=True, sqlite_where=sa.text('respondent_id IS NULL'), postgresql_where=sa.text('respondent_id IS NULL'))
        batch_op.create_index('uq_answer_respondent', ['assessment_id', 'respondent_id', 'question_id'], unique=True, sqlite_where=sa.text('respondent_id IS NOT NULL'), postgresql_where=sa.text('respondent_id IS NOT NULL'))



def downgrade() -> None:
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index('uq_answer_respondent', sqlite_where=sa.text('respondent_id IS NOT NULL'), postgresql_where=sa.text('respondent_id IS NOT NULL'))
        batch_op.drop_index('uq_answer_own', sqlite_where=sa.text('respondent_id IS NULL'), postgresql_where=sa.text('respondent_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_answer_respondent_id'))

    op.drop_table('answer')
    with op.batch_alter_table('respondent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_respondent_assessment_id'))

    op.drop_table('respondent')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_unit_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_round_id'))

    op.drop_table('assessment')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_parent_id'))
        batch_op.drop_index(batch_op.f('ix_unit_organisation_id'))

    op.drop_table('unit')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_round_framework_version_id'))

    op.drop_table('round')
    op.drop_table('organisation')
    with op.batch_alter_table('framework_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_framework_version_framework_id'))

    op.drop_table('framework_version')
