"""Canary router signals in the registry's database (``signals.store: registry`` or a
database URL): one row per upstream attempt, user feedback, and weight changes.

Revision ID: 0003_router_signals
Revises: 0002_rollout_controller
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_router_signals'
down_revision = '0002_rollout_controller'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('router_feedback',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.Double(), nullable=False),
    sa.Column('value', sa.Double(), nullable=False),
    sa.Column('rollout_id', sa.String(length=200), nullable=False),
    sa.Column('variant', sa.String(length=20), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_router_feedback'))
    )
    with op.batch_alter_table('router_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_router_feedback_window', ['rollout_id', 'variant', 'ts'], unique=False)

    op.create_table('router_signal',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('rollout_id', sa.String(length=200), nullable=False),
    sa.Column('ts', sa.Double(), nullable=False),
    sa.Column('variant', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('latency_ms', sa.Double(), nullable=True),
    sa.Column('ttft_ms', sa.Double(), nullable=True),
    sa.Column('streamed', sa.Boolean(), nullable=False),
    sa.Column('bucket', sa.Integer(), nullable=True),
    sa.Column('key_source', sa.String(length=20), nullable=True),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('failed_over', sa.Boolean(), nullable=False),
    sa.Column('pair_of', sa.String(length=64), nullable=True),
    sa.Column('prompt_tokens', sa.Integer(), nullable=True),
    sa.Column('completion_tokens', sa.Integer(), nullable=True),
    sa.Column('cost', sa.Double(), nullable=True),
    sa.Column('inspected', sa.Boolean(), nullable=False),
    sa.Column('secret', sa.Integer(), nullable=True),
    sa.Column('pii', sa.Integer(), nullable=True),
    sa.Column('canary_token', sa.Integer(), nullable=True),
    sa.Column('refusal', sa.Boolean(), nullable=True),
    sa.Column('output_sha256', sa.String(length=64), nullable=True),
    sa.Column('output_chars', sa.Integer(), nullable=True),
    sa.Column('weights_epoch', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_router_signal'))
    )
    with op.batch_alter_table('router_signal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_router_signal_request_id'), ['request_id'], unique=False)
        batch_op.create_index('ix_router_signal_window', ['rollout_id', 'variant', 'kind', 'ts'], unique=False)

    op.create_table('router_weights',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('rollout_id', sa.String(length=200), nullable=False),
    sa.Column('ts', sa.Double(), nullable=False),
    sa.Column('epoch', sa.Integer(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_router_weights'))
    )
    with op.batch_alter_table('router_weights', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_router_weights_rollout_id'), ['rollout_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('router_weights', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_router_weights_rollout_id'))

    op.drop_table('router_weights')
    with op.batch_alter_table('router_signal', schema=None) as batch_op:
        batch_op.drop_index('ix_router_signal_window')
        batch_op.drop_index(batch_op.f('ix_router_signal_request_id'))

    op.drop_table('router_signal')
    with op.batch_alter_table('router_feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_router_feedback_window')

    op.drop_table('router_feedback')
