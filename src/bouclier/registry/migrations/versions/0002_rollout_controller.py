"""Rollout controller: the rollout's name (the router's rollout id), the start of the
current step, its detail (extensions, pause reason, last analysis), and one row per
state transition with the evidence that caused it.

Revision ID: 0002_rollout_controller
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002_rollout_controller'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rollout') as batch:
        batch.add_column(sa.Column('name', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('step_started_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('detail', sa.JSON(), nullable=True))
        batch.create_index(batch.f('ix_rollout_name'), ['name'], unique=False)
    op.create_table('rollout_transition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rollout_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=30), nullable=False),
    sa.Column('from_step', sa.Integer(), nullable=False),
    sa.Column('to_state', sa.String(length=30), nullable=False),
    sa.Column('to_step', sa.Integer(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rollout_id'], ['rollout.id'], name=op.f('fk_rollout_transition_rollout_id_rollout')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollout_transition')),
    sa.UniqueConstraint('rollout_id', 'seq', name='uq_rollout_transition_rollout_seq')
    )
    op.create_index(op.f('ix_rollout_transition_rollout_id'), 'rollout_transition', ['rollout_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_rollout_transition_rollout_id'), table_name='rollout_transition')
    op.drop_table('rollout_transition')
    with op.batch_alter_table('rollout') as batch:
        batch.drop_index(batch.f('ix_rollout_name'))
        batch.drop_column('detail')
        batch.drop_column('step_started_at')
        batch.drop_column('name')
