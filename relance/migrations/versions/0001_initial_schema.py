"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 19:58:09.661326
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('dunning_enabled', sa.Boolean(), nullable=False),
    sa.Column('dunning_apply_to_new_invoices', sa.Boolean(), nullable=False),
    sa.Column('send_window_start', sa.Time(), nullable=False),
    sa.Column('send_window_end', sa.Time(), nullable=False),
    sa.Column('default_scenario_id', sa.Integer(), nullable=True),
    sa.Column('sender_mode', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('default_sender_user_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_organisation_slug'), 'organisation', ['slug'], unique=True)
    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'ref')
    )
    op.create_index(op.f('ix_account_org_id'), 'account', ['org_id'], unique=False)
    op.create_table('appuser',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('first_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('last_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('notify_on_reminder', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'email')
    )
    op.create_index(op.f('ix_appuser_org_id'), 'appuser', ['org_id'], unique=False)
    op.create_table('emailtemplate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'key')
    )
    op.create_index(op.f('ix_emailtemplate_org_id'), 'emailtemplate', ['org_id'], unique=False)
    op.create_table('scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'key', 'version')
    )
    op.create_index(op.f('ix_scenario_org_id'), 'scenario', ['org_id'], unique=False)
    op.create_table('contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('civility', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('first_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('last_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('is_billing', sa.Boolean(), nullable=False),
    sa.Column('is_decision_maker', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'ref')
    )
    op.create_index(op.f('ix_contact_account_id'), 'contact', ['account_id'], unique=False)
    op.create_index(op.f('ix_contact_org_id'), 'contact', ['org_id'], unique=False)
    op.create_table('scenariostep',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('offset_days', sa.Integer(), nullable=True),
    sa.Column('pause_days', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('sender_user_id', sa.Integer(), nullable=True),
    sa.Column('sender_name', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('window_start', sa.Time(), nullable=True),
    sa.Column('window_end', sa.Time(), nullable=True),
    sa.Column('task_title', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('task_assignee_user_id', sa.Integer(), nullable=True),
    sa.Column('task_due_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], ),
    sa.ForeignKeyConstraint(['sender_user_id'], ['appuser.id'], ),
    sa.ForeignKeyConstraint(['task_assignee_user_id'], ['appuser.id'], ),
    sa.ForeignKeyConstraint(['template_id'], ['emailtemplate.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scenario_id', 'position')
    )
    op.create_index(op.f('ix_scenariostep_scenario_id'), 'scenariostep', ['scenario_id'], unique=False)
    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('creator_user_id', sa.Integer(), nullable=True),
    sa.Column('invoice_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('amount_excl_tax', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('amount_incl_tax', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('do_not_remind', sa.Boolean(), nullable=False),
    sa.Column('has_payment_schedule', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['creator_user_id'], ['appuser.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'number')
    )
    op.create_index(op.f('ix_invoice_account_id'), 'invoice', ['account_id'], unique=False)
    op.create_index(op.f('ix_invoice_due_date'), 'invoice', ['due_date'], unique=False)
    op.create_index(op.f('ix_invoice_org_id'), 'invoice', ['org_id'], unique=False)
    op.create_table('dunningrun',
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('scenario_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('current_step', sa.Integer(), nullable=False),
    sa.Column('next_step_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exit_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('exit_detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['scenario_id'], ['scenario.id'], ),
    sa.PrimaryKeyConstraint('workflow_id'),
    sa.UniqueConstraint('invoice_id')
    )
    op.create_index(op.f('ix_dunningrun_org_id'), 'dunningrun', ['org_id'], unique=False)
    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('invoice_id', 'ref')
    )
    op.create_index(op.f('ix_payment_invoice_id'), 'payment', ['invoice_id'], unique=False)
    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('assignee_user_id', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('source_workflow_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('idem_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['appuser.id'], ),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idem_key')
    )
    op.create_index(op.f('ix_task_org_id'), 'task', ['org_id'], unique=False)
    op.create_table('runevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('step_position', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('provider_message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('idem_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['workflow_id'], ['dunningrun.workflow_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idem_key')
    )
    op.create_index(op.f('ix_runevent_workflow_id'), 'runevent', ['workflow_id'], unique=False)
    # organisation, appuser and scenario refer to each other: these keys come last.
    op.create_foreign_key('organisation_default_scenario_fk', 'organisation', 'scenario',
                          ['default_scenario_id'], ['id'])
    op.create_foreign_key('organisation_default_sender_fk', 'organisation', 'appuser',
                          ['default_sender_user_id'], ['id'])


def downgrade() -> None:
    op.drop_constraint('organisation_default_scenario_fk', 'organisation', type_='foreignkey')
    op.drop_constraint('organisation_default_sender_fk', 'organisation', type_='foreignkey')
    
    op.drop_index(op.f('ix_runevent_workflow_id'), table_name='runevent')
    op.drop_table('runevent')
    op.drop_index(op.f('ix_task_org_id'), table_name='task')
    op.drop_table('task')
    op.drop_index(op.f('ix_payment_invoice_id'), table_name='payment')
    op.drop_table('payment')
    op.drop_index(op.f('ix_dunningrun_org_id'), table_name='dunningrun')
    op.drop_table('dunningrun')
    op.drop_index(op.f('ix_invoice_org_id'), table_name='invoice')
    op.drop_index(op.f('ix_invoice_due_date'), table_name='invoice')
    op.drop_index(op.f('ix_invoice_account_id'), table_name='invoice')
    op.drop_table('invoice')
    op.drop_index(op.f('ix_scenariostep_scenario_id'), table_name='scenariostep')
    op.drop_table('scenariostep')
    op.drop_index(op.f('ix_contact_org_id'), table_name='contact')
    op.drop_index(op.f('ix_contact_account_id'), table_name='contact')
    op.drop_table('contact')
    op.drop_index(op.f('ix_scenario_org_id'), table_name='scenario')
    op.drop_table('scenario')
    op.drop_index(op.f('ix_emailtemplate_org_id'), table_name='emailtemplate')
    op.drop_table('emailtemplate')
    op.drop_index(op.f('ix_appuser_org_id'), table_name='appuser')
    op.drop_table('appuser')
    op.drop_index(op.f('ix_account_org_id'), table_name='account')
    op.drop_table('account')
    op.drop_index(op.f('ix_organisation_slug'), table_name='organisation')
    op.drop_table('organisation')

