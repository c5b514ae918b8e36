"""Add the roadmap: phases, their units, owners and gates, and actions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('phase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('focus', sa.String(length=1000), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_phase_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phase'))
    )
    op.create_index(op.f('ix_phase_organisation_id'), 'phase', ['organisation_id'], unique=False)
    op.create_table('action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('factor_id', sa.String(length=64), nullable=False),
    sa.Column('from_level', sa.Integer(), nullable=True),
    sa.Column('library_id', sa.String(length=64), nullable=True),
    sa.Column('text', sa.String(length=1000), nullable=False),
    sa.Column('owner', sa.String(length=120), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_action_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_action_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action'))
    )
    op.create_index(op.f('ix_action_organisation_id'), 'action', ['organisation_id'], unique=False)
    op.create_index(op.f('ix_action_unit_id'), 'action', ['unit_id'], unique=False)
    op.create_table('gate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phase_id', sa.Integer(), nullable=False),
    sa.Column('factor_id', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['phase_id'], ['phase.id'], name=op.f('fk_gate_phase_id_phase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gate')),
    sa.UniqueConstraint('phase_id', 'factor_id', name=op.f('uq_gate_phase_id'))
    )
    op.create_index(op.f('ix_gate_phase_id'), 'gate', ['phase_id'], unique=False)
    op.create_table('phaseowner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phase_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['phase_id'], ['phase.id'], name=op.f('fk_phaseowner_phase_id_phase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phaseowner'))
    )
    op.create_index(op.f('ix_phaseowner_phase_id'), 'phaseowner', ['phase_id'], unique=False)
    op.create_table('phaseunit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phase_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['phase_id'], ['phase.id'], name=op.f('fk_phaseunit_phase_id_phase')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_phaseunit_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phaseunit')),
    sa.UniqueConstraint('unit_id', name=op.f('uq_phaseunit_unit_id'))
    )
    op.create_index(op.f('ix_phaseunit_phase_id'), 'phaseunit', ['phase_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_phaseunit_phase_id'), table_name='phaseunit')
    op.drop_table('phaseunit')
    op.drop_index(op.f('ix_phaseowner_phase_id'), table_name='phaseowner')
    op.drop_table('phaseowner')
    op.drop_index(op.f('ix_gate_phase_id'), table_name='gate')
    op.drop_table('gate')
    op.drop_index(op.f('ix_action_unit_id'), table_name='action')
    op.drop_index(op.f('ix_action_organisation_id'), table_name='action')
    op.drop_table('action')
    op.drop_index(op.f('ix_phase_organisation_id'), table_name='phase')
    op.drop_table('phase')
