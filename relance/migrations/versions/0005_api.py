"""the HTTP API's keys and idempotent requests (API issue)

Revision ID: 0005_api
Revises: 0004_send_once_ledger
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005_api'
down_revision = '0004_send_once_ledger'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('apikey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    op.create_index(op.f('ix_apikey_org_id'), 'apikey', ['org_id'], unique=False)
    op.create_table('idempotentrequest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('api_key_id', sa.Integer(), nullable=False),
    sa.Column('idem_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('request_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['api_key_id'], ['apikey.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('api_key_id', 'idem_key')
    )
    op.create_index(op.f('ix_idempotentrequest_api_key_id'), 'idempotentrequest', ['api_key_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_idempotentrequest_api_key_id'), table_name='idempotentrequest')
    op.drop_table('idempotentrequest')
    op.drop_index(op.f('ix_apikey_org_id'), table_name='apikey')
    op.drop_table('apikey')
