"""Add API tokens and the record of their use

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name='fk_api_token_organisation_id_organisation'),
        sa.ForeignKeyConstraint(['created_by'], ['app_user.id'],
                                name='fk_api_token_created_by_app_user'),
        sa.ForeignKeyConstraint(['revoked_by'], ['app_user.id'],
                                name='fk_api_token_revoked_by_app_user'),
        sa.PrimaryKeyConstraint('id', name='pk_api_token'),
        sa.UniqueConstraint('token_hash', name='uq_api_token_token_hash'),
    )
    op.create_index('ix_api_token_organisation_id', 'api_token', ['organisation_id'])
    op.create_table(
        'api_token_use',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['token_id'], ['api_token.id'],
                                name='fk_api_token_use_token_id_api_token'),
        sa.PrimaryKeyConstraint('id', name='pk_api_token_use'),
    )
    op.create_index('ix_api_token_use_token_at', 'api_token_use', ['token_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_api_token_use_token_at', table_name='api_token_use')
    op.drop_table('api_token_use')
    op.drop_index('ix_api_token_organisation_id', table_name='api_token')
    op.drop_table('api_token')
