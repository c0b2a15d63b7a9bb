"""signed webhooks: endpoints, events, deliveries and their attempts (issue 11, part 4)

Revision ID: 0006_webhooks
Revises: 0005_api
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0006_webhooks'
down_revision = '0005_api'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhookendpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('event_types', postgresql.ARRAY(sa.String()), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_webhookendpoint_org_id'), 'webhookendpoint', ['org_id'], unique=False)
    op.create_table('webhookevent',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_webhookevent_org_id'), 'webhookevent', ['org_id'], unique=False)
    op.create_table('webhookdelivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('succeeded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhookendpoint.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['webhookevent.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'endpoint_id')
    )
    op.create_index(op.f('ix_webhookdelivery_endpoint_id'), 'webhookdelivery', ['endpoint_id'], unique=False)
    op.create_index(op.f('ix_webhookdelivery_org_id'), 'webhookdelivery', ['org_id'], unique=False)
    op.create_table('webhookattempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('latency_ms', sa.Integer(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhookdelivery.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_webhookattempt_delivery_id'), 'webhookattempt', ['delivery_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_webhookattempt_delivery_id'), table_name='webhookattempt')
    op.drop_table('webhookattempt')
    op.drop_index(op.f('ix_webhookdelivery_org_id'), table_name='webhookdelivery')
    op.drop_index(op.f('ix_webhookdelivery_endpoint_id'), table_name='webhookdelivery')
    op.drop_table('webhookdelivery')
    op.drop_index(op.f('ix_webhookevent_org_id'), table_name='webhookevent')
    op.drop_table('webhookevent')
    op.drop_index(op.f('ix_webhookendpoint_org_id'), table_name='webhookendpoint')
    op.drop_table('webhookendpoint')
