"""Initial schema: registry (models, versions, aliases, gate runs, approvals, overrides,
promotions, rollouts) and the audit trail.

Revision ID: 0001_initial
Revises: (none)
Create Date: 2025-01-01 (first schema of bouclier 0.1.0)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ts', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event'))
    )
    op.create_index(op.f('ix_audit_event_actor'), 'audit_event', ['actor'], unique=False)
    op.create_index(op.f('ix_audit_event_kind'), 'audit_event', ['kind'], unique=False)
    op.create_index(op.f('ix_audit_event_model'), 'audit_event', ['model'], unique=False)
    op.create_index(op.f('ix_audit_event_ts'), 'audit_event', ['ts'], unique=False)

    op.create_table('model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model')),
    sa.UniqueConstraint('name', name=op.f('uq_model_name'))
    )
    op.create_table('alias_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=100), nullable=False),
    sa.Column('old_target', sa.String(length=200), nullable=True),
    sa.Column('new_target', sa.String(length=200), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['model.id'], name=op.f('fk_alias_history_model_id_model')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alias_history'))
    )
    op.create_index(op.f('ix_alias_history_model_id'), 'alias_history', ['model_id'], unique=False)

    op.create_table('model_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('stage_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retire_after', sa.Date(), nullable=True),
    sa.Column('adapter_spec', sa.JSON(), nullable=False),
    sa.Column('artifacts', sa.JSON(), nullable=False),
    sa.Column('git_commit', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['model.id'], name=op.f('fk_model_version_model_id_model')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_version')),
    sa.UniqueConstraint('model_id', 'label', name='uq_model_version_model_label')
    )
    op.create_index(op.f('ix_model_version_model_id'), 'model_version', ['model_id'], unique=False)

    op.create_table('alias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('target_alias', sa.String(length=100), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['model.id'], name=op.f('fk_alias_model_id_model')),
    sa.ForeignKeyConstraint(['version_id'], ['model_version.id'], name=op.f('fk_alias_version_id_model_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alias')),
    sa.UniqueConstraint('model_id', 'name', name='uq_alias_model_name')
    )
    op.create_index(op.f('ix_alias_model_id'), 'alias', ['model_id'], unique=False)

    op.create_table('approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('approver', sa.String(length=200), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['model_version.id'], name=op.f('fk_approval_version_id_model_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval')),
    sa.UniqueConstraint('version_id', 'stage', 'approver', name='uq_approval_version_stage_approver')
    )
    op.create_index(op.f('ix_approval_version_id'), 'approval', ['version_id'], unique=False)

    op.create_table('gate_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(length=100), nullable=False),
    sa.Column('schema_version', sa.String(length=20), nullable=False),
    sa.Column('config_digest', sa.String(length=100), nullable=False),
    sa.Column('dataset_digests', sa.JSON(), nullable=False),
    sa.Column('result_json', sa.Text(), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('baseline_version_id', sa.Integer(), nullable=True),
    sa.Column('candidate_version_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['baseline_version_id'], ['model_version.id'], name=op.f('fk_gate_run_baseline_version_id_model_version')),
    sa.ForeignKeyConstraint(['candidate_version_id'], ['model_version.id'], name=op.f('fk_gate_run_candidate_version_id_model_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gate_run')),
    sa.UniqueConstraint('run_id', name=op.f('uq_gate_run_run_id'))
    )
    op.create_index(op.f('ix_gate_run_baseline_version_id'), 'gate_run', ['baseline_version_id'], unique=False)
    op.create_index(op.f('ix_gate_run_candidate_version_id'), 'gate_run', ['candidate_version_id'], unique=False)
    op.create_index(op.f('ix_gate_run_config_digest'), 'gate_run', ['config_digest'], unique=False)

    op.create_table('override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('refused_because', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['model_version.id'], name=op.f('fk_override_version_id_model_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_override'))
    )
    op.create_index(op.f('ix_override_version_id'), 'override', ['version_id'], unique=False)

    op.create_table('rollout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('stable_version_id', sa.Integer(), nullable=False),
    sa.Column('canary_version_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('lease_owner', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['canary_version_id'], ['model_version.id'], name=op.f('fk_rollout_canary_version_id_model_version')),
    sa.ForeignKeyConstraint(['model_id'], ['model.id'], name=op.f('fk_rollout_model_id_model')),
    sa.ForeignKeyConstraint(['stable_version_id'], ['model_version.id'], name=op.f('fk_rollout_stable_version_id_model_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollout'))
    )
    op.create_index(op.f('ix_rollout_model_id'), 'rollout', ['model_id'], unique=False)

    op.create_table('promotion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=20), nullable=False),
    sa.Column('to_stage', sa.String(length=20), nullable=False),
    sa.Column('replaced_version_id', sa.Integer(), nullable=True),
    sa.Column('gate_run_id', sa.Integer(), nullable=True),
    sa.Column('override_id', sa.Integer(), nullable=True),
    sa.Column('approvers', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['gate_run_id'], ['gate_run.id'], name=op.f('fk_promotion_gate_run_id_gate_run')),
    sa.ForeignKeyConstraint(['override_id'], ['override.id'], name=op.f('fk_promotion_override_id_override')),
    sa.ForeignKeyConstraint(['replaced_version_id'], ['model_version.id'], name=op.f('fk_promotion_replaced_version_id_model_version')),
    sa.ForeignKeyConstraint(['version_id'], ['model_version.id'], name=op.f('fk_promotion_version_id_model_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion'))
    )
    op.create_index(op.f('ix_promotion_version_id'), 'promotion', ['version_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_promotion_version_id'), table_name='promotion')

    op.drop_table('promotion')
    op.drop_index(op.f('ix_rollout_model_id'), table_name='rollout')

    op.drop_table('rollout')
    op.drop_index(op.f('ix_override_version_id'), table_name='override')

    op.drop_table('override')
    op.drop_index(op.f('ix_gate_run_config_digest'), table_name='gate_run')
    op.drop_index(op.f('ix_gate_run_candidate_version_id'), table_name='gate_run')
    op.drop_index(op.f('ix_gate_run_baseline_version_id'), table_name='gate_run')

    op.drop_table('gate_run')
    op.drop_index(op.f('ix_approval_version_id'), table_name='approval')

    op.drop_table('approval')
    op.drop_index(op.f('ix_alias_model_id'), table_name='alias')

    op.drop_table('alias')
    op.drop_index(op.f('ix_model_version_model_id'), table_name='model_version')

    op.drop_table('model_version')
    op.drop_index(op.f('ix_alias_history_model_id'), table_name='alias_history')

    op.drop_table('alias_history')
    op.drop_table('model')
    op.drop_index(op.f('ix_audit_event_ts'), table_name='audit_event')
    op.drop_index(op.f('ix_audit_event_model'), table_name='audit_event')
    op.drop_index(op.f('ix_audit_event_kind'), table_name='audit_event')
    op.drop_index(op.f('ix_audit_event_actor'), table_name='audit_event')

    op.drop_table('audit_event')
