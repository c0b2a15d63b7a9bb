"""contracts, renewal settings and renewal notices (issue 4)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:36:13.036092
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('renewalsettings',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('alert_days', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('sender_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['sender_user_id'], ['appuser.id'], ),
    sa.ForeignKeyConstraint(['template_id'], ['emailtemplate.id'], ),
    sa.PrimaryKeyConstraint('org_id')
    )
    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('billing_contact_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('years', sa.Integer(), nullable=True),
    sa.Column('tacit_renewal', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['billing_contact_id'], ['contact.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('org_id', 'ref')
    )
    op.create_index(op.f('ix_contract_account_id'), 'contract', ['account_id'], unique=False)
    op.create_index(op.f('ix_contract_org_id'), 'contract', ['org_id'], unique=False)
    op.create_table('renewalnotice',
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('provider_message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('workflow_id'),
    sa.UniqueConstraint('contract_id', 'term_end')
    )
    op.create_index(op.f('ix_renewalnotice_contract_id'), 'renewalnotice', ['contract_id'], unique=False)
    op.create_index(op.f('ix_renewalnotice_org_id'), 'renewalnotice', ['org_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_renewalnotice_org_id'), table_name='renewalnotice')
    op.drop_index(op.f('ix_renewalnotice_contract_id'), table_name='renewalnotice')
    op.drop_table('renewalnotice')
    op.drop_index(op.f('ix_contract_org_id'), table_name='contract')
    op.drop_index(op.f('ix_contract_account_id'), table_name='contract')
    op.drop_table('contract')
    op.drop_table('renewalsettings')
