"""reports: indexes for an organisation's runs and emails of a period, and an email by its provider id

Revision ID: 0019_reports
Revises: 0014_setup_over_http
"""
from alembic import op

revision = '0019_reports'
down_revision = '0018_pipeline_rules'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_dunningrun_org_started', 'dunningrun', ['org_id', 'started_at'], unique=False)
    op.create_index('ix_emailledger_org_claimed', 'emailledger', ['org_id', 'claimed_at'], unique=False)
    op.create_index('ix_emailledger_provider_message_id', 'emailledger', ['provider_message_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_emailledger_provider_message_id', table_name='emailledger')
    op.drop_index('ix_emailledger_org_claimed', table_name='emailledger')
    op.drop_index('ix_dunningrun_org_started', table_name='dunningrun')
