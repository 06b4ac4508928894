"""Flagger webhooks of ``bouclier serve-analysis``: the revisions seen, keyed by
(namespace, name, checksum), with their sticky failure, and their distinct events, so that
a restarted server answers as before and records nothing twice.

Revision ID: 0004_flagger_revisions
Revises: 0003_router_signals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_flagger_revisions'
down_revision = '0003_router_signals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('flagger_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('namespace', sa.String(length=253), nullable=False),
    sa.Column('name', sa.String(length=253), nullable=False),
    sa.Column('checksum', sa.String(length=128), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failure', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flagger_revision')),
    sa.UniqueConstraint('namespace', 'name', 'checksum', name='uq_flagger_revision_key')
    )
    op.create_table('flagger_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('phase', sa.String(length=40), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['revision_id'], ['flagger_revision.id'],
                            name=op.f('fk_flagger_event_revision_id_flagger_revision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flagger_event')),
    sa.UniqueConstraint('revision_id', 'digest', name='uq_flagger_event_revision_digest')
    )
    op.create_index(op.f('ix_flagger_event_revision_id'), 'flagger_event', ['revision_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_flagger_event_revision_id'), table_name='flagger_event')
    op.drop_table('flagger_event')
    op.drop_table('flagger_revision')
