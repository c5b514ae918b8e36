"""Add the pre-workshop survey, a workshop's focus mode and its projected prompt

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_survey_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_survey_created_by_app_user')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_survey_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_survey_round_id_round')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_survey_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey')),
    sa.UniqueConstraint('code', name=op.f('uq_survey_code')),
    sa.UniqueConstraint('round_id', 'unit_id', name=op.f('uq_survey_round_id'))
    )
    op.create_index(op.f('ix_survey_organisation_id'), 'survey', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_survey_round_id'), 'survey', ['round_id'], unique=False)
    op.create_index(op.f('ix_survey_unit_id'), 'survey', ['unit_id'], unique=False)
    op.create_table('survey_respondent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondent.id'], name=op.f('fk_survey_respondent_respondent_id_respondent')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_respondent_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_respondent')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_survey_respondent_token_hash'))
    )
    op.create_index(op.f('ix_survey_respondent_survey_id'), 'survey_respondent', ['survey_id'], unique=False)
    op.create_table('survey_start',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_start_survey_id_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_start'))
    )
    op.create_index('ix_survey_start_address_at', 'survey_start',
                    ['survey_id', 'address', 'created_at'], unique=False)
    with op.batch_alter_table('workshop') as batch:
        batch.add_column(sa.Column('focus_skip', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('prompt', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workshop') as batch:
        batch.drop_column('prompt')
        batch.drop_column('focus_skip')
    op.drop_index('ix_survey_start_address_at', table_name='survey_start')
    op.drop_table('survey_start')
    op.drop_index(op.f('ix_survey_respondent_survey_id'), table_name='survey_respondent')
    op.drop_table('survey_respondent')
    op.drop_index(op.f('ix_survey_unit_id'), table_name='survey')
    op.drop_index(op.f('ix_survey_round_id'), table_name='survey')
    op.drop_index(op.f('ix_survey_organisation_id'), table_name='survey')
    op.drop_table('survey')
