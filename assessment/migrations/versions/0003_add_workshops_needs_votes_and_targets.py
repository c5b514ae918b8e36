"""Add workshops, needs, votes and targets

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('factor_id', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_target_round_id_round')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_target_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target')),
    sa.UniqueConstraint('round_id', 'unit_id', 'factor_id', name=op.f('uq_target_round_id'))
    )
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_target_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_target_unit_id'), ['unit_id'], unique=False)

    op.create_table('workshop',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step_index', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('dots_per_participant', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_workshop_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_workshop_created_by_app_user')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_workshop_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_workshop_round_id_round')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_workshop_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop')),
    sa.UniqueConstraint('code', name=op.f('uq_workshop_code'))
    )
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workshop_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workshop_unit_id'), ['unit_id'], unique=False)

    op.create_table('participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('nickname', sa.String(length=40), nullable=True),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondent.id'], name=op.f('fk_participant_respondent_id_respondent')),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_participant_workshop_id_workshop')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_participant_token_hash'))
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('workshop_question',
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('revealed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_workshop_question_workshop_id_workshop')),
    sa.PrimaryKeyConstraint('workshop_id', 'question_id', name=op.f('pk_workshop_question'))
    )
    op.create_table('need',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('factor_id', sa.String(length=64), nullable=True),
    sa.Column('merged_into', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merged_into'], ['need.id'], name=op.f('fk_need_merged_into_need')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_need_participant_id_participant')),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_need_workshop_id_workshop')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need'))
    )
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('target_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('factor_id', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_target_vote_participant_id_participant')),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshop.id'], name=op.f('fk_target_vote_workshop_id_workshop')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target_vote')),
    sa.UniqueConstraint('workshop_id', 'participant_id', 'factor_id', name=op.f('uq_target_vote_workshop_id'))
    )
    with op.batch_alter_table('target_vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_target_vote_workshop_id'), ['workshop_id'], unique=False)

    op.create_table('need_dot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_need_dot_need_id_need')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_need_dot_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_dot'))
    )
    with op.batch_alter_table('need_dot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_dot_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_need_dot_participant_id'), ['participant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('need_dot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_dot_participant_id'))
        batch_op.drop_index(batch_op.f('ix_need_dot_need_id'))

    op.drop_table('need_dot')
    with op.batch_alter_table('target_vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_target_vote_workshop_id'))

    op.drop_table('target_vote')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_workshop_id'))
        batch_op.drop_index(batch_op.f('ix_need_participant_id'))

    op.drop_table('need')
    op.drop_table('workshop_question')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_workshop_id'))

    op.drop_table('participant')
    with op.batch_alter_table('workshop', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workshop_unit_id'))
        batch_op.drop_index(batch_op.f('ix_workshop_round_id'))
        batch_op.drop_index(batch_op.f('ix_workshop_organisation_id'))

    op.drop_table('workshop')
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_target_unit_id'))
        batch_op.drop_index(batch_op.f('ix_target_round_id'))

    op.drop_table('target')
