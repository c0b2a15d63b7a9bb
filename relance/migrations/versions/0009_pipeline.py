"""pipeline: sales processes, stages, action types, opportunities, quotes, actions, rules (versioned), event log,
automation runs, feed (issue 13)

Revision ID: 0009_pipeline
Revises: 0008_marketing
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0009_pipeline'
down_revision = '0008_marketing'
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString


def _id():
    return sa.Column('id', sa.Integer(), primary_key=True)


def _org():
    return sa.Column('org_id', sa.Integer(), sa.ForeignKey('organisation.id'), nullable=False, index=True)


def _opp():
    return sa.Column('opportunity_id', sa.Integer(), sa.ForeignKey('opportunity.id'), nullable=False, index=True)


def upgrade() -> None:
    op.create_table('salesprocess', _id(), _org(), sa.Column('key', _S(), nullable=False),
                    sa.Column('name', _S(), nullable=False), sa.UniqueConstraint('org_id', 'key'))
    op.create_table('processstage', _id(),
                    sa.Column('process_id', sa.Integer(), sa.ForeignKey('salesprocess.id'), nullable=False,
                              index=True),
                    sa.Column('key', _S(), nullable=False), sa.Column('name', _S(), nullable=False),
                    sa.Column('position', sa.Integer(), nullable=False), sa.UniqueConstraint('process_id', 'key'))
    op.create_table('actiontype', _id(), _org(), sa.Column('key', _S(), nullable=False),
                    sa.Column('name', _S(), nullable=False), sa.UniqueConstraint('org_id', 'key'))
    op.create_table('opportunity', _id(), _org(), sa.Column('ref', _S(), nullable=False),
                    sa.Column('name', _S(), nullable=False),
                    sa.Column('process_id', sa.Integer(), sa.ForeignKey('salesprocess.id'), nullable=False),
                    sa.Column('stage_key', _S(), nullable=False), sa.Column('result', _S(), nullable=False),
                    sa.Column('assigned_user_id', sa.Integer(), sa.ForeignKey('appuser.id'), nullable=True),
                    sa.Column('account_id', sa.Integer(), sa.ForeignKey('account.id'), nullable=True),
                    sa.Column('contact_id', sa.Integer(), sa.ForeignKey('contact.id'), nullable=True),
                    sa.Column('amount', sa.Numeric(12, 2), nullable=True),
                    sa.Column('tags', postgresql.ARRAY(sa.String()), server_default='{}', nullable=False),
                    sa.UniqueConstraint('org_id', 'ref'))
    op.create_table('quote', _id(), _opp(), sa.Column('ref', _S(), nullable=False),
                    sa.Column('state', _S(), nullable=False), sa.UniqueConstraint('opportunity_id', 'ref'))
    op.create_table('opportunityaction', _id(), _org(), _opp(), sa.Column('ref', _S(), nullable=False),
                    sa.Column('type_key', _S(), nullable=False), sa.Column('title', _S(), nullable=False),
                    sa.Column('assignee_user_id', sa.Integer(), sa.ForeignKey('appuser.id'), nullable=True),
                    sa.Column('due_on', sa.Date(), nullable=True), sa.Column('state', _S(), nullable=False),
                    sa.Column('idem_key', _S(), nullable=True, unique=True),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.UniqueConstraint('opportunity_id', 'ref'))
    op.create_table('pipelinerule', _id(), _org(),
                    sa.Column('process_id', sa.Integer(), sa.ForeignKey('salesprocess.id'), nullable=False,
                              index=True),
                    sa.Column('key', _S(), nullable=False), sa.Column('version', sa.Integer(), nullable=False),
                    sa.Column('name', _S(), nullable=False), sa.Column('enabled', sa.Boolean(), nullable=False),
                    sa.Column('trigger', sa.JSON(), nullable=False), sa.Column('automations', sa.JSON(), nullable=False),
                    sa.UniqueConstraint('process_id', 'key', 'version'))
    op.create_table('pipelineevent', _id(), _org(), _opp(), sa.Column('event_id', _S(), nullable=False),
                    sa.Column('kind', _S(), nullable=False), sa.Column('body', sa.JSON(), nullable=False),
                    sa.Column('cause', sa.JSON(), nullable=False), sa.Column('transitions', sa.JSON(), nullable=False),
                    sa.Column('plan', sa.JSON(), nullable=False), sa.Column('rules_upto', sa.Integer(), nullable=False),
                    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=False),
                    sa.UniqueConstraint('opportunity_id', 'event_id'))
    op.create_table('automationrun', _id(), sa.Column('idem_key', _S(), nullable=False, unique=True), _org(), _opp(),
                    sa.Column('event_id', _S(), nullable=False),
                    sa.Column('rule_id', sa.Integer(), sa.ForeignKey('pipelinerule.id'), nullable=False),
                    sa.Column('position', sa.Integer(), nullable=False), sa.Column('kind', _S(), nullable=False),
                    sa.Column('state', _S(), nullable=False), sa.Column('detail', _S(), nullable=True),
                    sa.Column('attempts', sa.Integer(), nullable=False),
                    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('feednotification', _id(), _org(), _opp(), sa.Column('text', _S(), nullable=False),
                    sa.Column('idem_key', _S(), nullable=False, unique=True),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False))


def downgrade() -> None:
    for table in ('feednotification', 'automationrun', 'pipelineevent', 'pipelinerule', 'opportunityaction', 'quote',
                  'opportunity', 'actiontype', 'processstage', 'salesprocess'):
        op.drop_table(table)
