"""marketing: scenarios' purpose, switch and re-entry; contacts' tags, consent and deletion; enrolments; email campaigns (issue 12)

Revision ID: 0008_marketing
Revises: 0007_deliverability
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0008_marketing'
down_revision = '0007_deliverability'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('scenario', sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(), server_default='dunning',
                                        nullable=False))
    op.add_column('scenario', sa.Column('enabled', sa.Boolean(), server_default='true', nullable=False))
    op.add_column('scenario', sa.Column('allow_reentry', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('contact', sa.Column('tags', postgresql.ARRAY(sa.String()), server_default='{}', nullable=False))
    op.add_column('contact', sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('contact', sa.Column('opted_out_via', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column('contact', sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_contact_tags', 'contact', ['tags'], unique=False, postgresql_using='gin')
    op.create_table('marketingenrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('run_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('scenario_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('enrolled_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('current_step', sa.Integer(), nullable=True),
    sa.Column('emails_sent', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exit_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('exit_detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workflow_id', 'run_id')
    )
    op.create_index(op.f('ix_marketingenrolment_workflow_id'), 'marketingenrolment', ['workflow_id'], unique=False)
    op.create_index(op.f('ix_marketingenrolment_org_id'), 'marketingenrolment', ['org_id'], unique=False)
    op.create_index(op.f('ix_marketingenrolment_contact_id'), 'marketingenrolment', ['contact_id'], unique=False)
    op.create_table('emailcampaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('sender_user_id', sa.Integer(), nullable=True),
    sa.Column('audience_tag', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('audience_account_id', sa.Integer(), nullable=True),
    sa.Column('audience_contact_id', sa.Integer(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('launched_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('launch_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['audience_account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['audience_contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['sender_user_id'], ['appuser.id'], ),
    sa.ForeignKeyConstraint(['template_id'], ['emailtemplate.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'key')
    )
    op.create_index(op.f('ix_emailcampaign_org_id'), 'emailcampaign', ['org_id'], unique=False)
    op.create_table('campaignrecipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('provider_message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['emailcampaign.id'], ),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'contact_id')
    )
    op.create_index(op.f('ix_campaignrecipient_campaign_id'), 'campaignrecipient', ['campaign_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_campaignrecipient_campaign_id'), table_name='campaignrecipient')
    op.drop_table('campaignrecipient')
    op.drop_index(op.f('ix_emailcampaign_org_id'), table_name='emailcampaign')
    op.drop_table('emailcampaign')
    op.drop_index(op.f('ix_marketingenrolment_contact_id'), table_name='marketingenrolment')
    op.drop_index(op.f('ix_marketingenrolment_org_id'), table_name='marketingenrolment')
    op.drop_index(op.f('ix_marketingenrolment_workflow_id'), table_name='marketingenrolment')
    op.drop_table('marketingenrolment')
    op.drop_index('ix_contact_tags', table_name='contact')
    for column in ('deleted_at', 'opted_out_via', 'opted_out_at', 'tags'):
        op.drop_column('contact', column)
    for column in ('allow_reentry', 'enabled', 'purpose'):
        op.drop_column('scenario', column)
