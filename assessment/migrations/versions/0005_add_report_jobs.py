"""Add report jobs: PDFs built in the background, with their progress

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_report_job_created_by_app_user')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_report_job_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_report_job_round_id_round')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_report_job_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_job'))
    )
    op.create_index(op.f('ix_report_job_created_at'), 'report_job', ['created_at'], unique=False)
    op.create_index(op.f('ix_report_job_organisation_id'), 'report_job', ['organisation_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_report_job_organisation_id'), table_name='report_job')
    op.drop_index(op.f('ix_report_job_created_at'), table_name='report_job')
    op.drop_table('report_job')
