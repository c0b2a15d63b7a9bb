"""outbox: staff accounts of the agency outbox, their one-time sign-in links and sessions (issue 14)

Revision ID: 0011_outbox
Revises: 0010_agency
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011_outbox'
down_revision = '0010_agency'
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('staffaccount',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('email', _S(length=320), nullable=False),
    sa.Column('password_hash', _S(), nullable=True),
    sa.Column('failed_signins', sa.Integer(), nullable=False),
    sa.Column('locked_until', _AT, nullable=True),
    sa.Column('created_at', _AT, server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_index(op.f('ix_staffaccount_org_id'), 'staffaccount', ['org_id'], unique=False)
    op.create_table('staffsigninlink',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', _S(length=64), nullable=False),
    sa.Column('created_at', _AT, nullable=False),
    sa.Column('expires_at', _AT, nullable=False),
    sa.Column('used_at', _AT, nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['staffaccount.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index(op.f('ix_staffsigninlink_account_id'), 'staffsigninlink', ['account_id'], unique=False)
    op.create_table('staffsession',
    sa.Column('key_hash', _S(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', _AT, nullable=False),
    sa.Column('expires_at', _AT, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['staffaccount.id'], ),
    sa.PrimaryKeyConstraint('key_hash')
    )
    op.create_index(op.f('ix_staffsession_account_id'), 'staffsession', ['account_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_staffsession_account_id'), table_name='staffsession')
    op.drop_table('staffsession')
    op.drop_index(op.f('ix_staffsigninlink_account_id'), table_name='staffsigninlink')
    op.drop_table('staffsigninlink')
    op.drop_index(op.f('ix_staffaccount_org_id'), table_name='staffaccount')
    op.drop_table('staffaccount')
