"""SES events, the suppression list, and the ledger's send tag (deliverability, issue 16)

Revision ID: 0007_deliverability
Revises: 0006_webhooks

Existing ledger rows get the send tag their key gives (sha256 of the key, as relance.email.ledger
computes it), so an event about an email sent before the upgrade still finds its row.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007_deliverability'
down_revision = '0006_webhooks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('emailevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('send_tag', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('provider_message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_message_id', 'kind', 'recipient', name='uq_emailevent_once')
    )
    op.create_index(op.f('ix_emailevent_send_tag'), 'emailevent', ['send_tag'], unique=False)
    op.create_index(op.f('ix_emailevent_provider_message_id'), 'emailevent', ['provider_message_id'], unique=False)
    op.create_table('suppression',
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('address')
    )
    op.add_column('emailledger', sa.Column('send_tag', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column('emailledger', sa.Column('attempts', sa.Integer(), server_default='1', nullable=False))
    op.execute("UPDATE emailledger SET send_tag = left(encode(sha256(convert_to(idem_key, 'UTF8')), 'hex'), 32)")
    op.create_index(op.f('ix_emailledger_send_tag'), 'emailledger', ['send_tag'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_emailledger_send_tag'), table_name='emailledger')
    op.drop_column('emailledger', 'attempts')
    op.drop_column('emailledger', 'send_tag')
    op.drop_table('suppression')
    op.drop_index(op.f('ix_emailevent_provider_message_id'), table_name='emailevent')
    op.drop_index(op.f('ix_emailevent_send_tag'), table_name='emailevent')
    op.drop_table('emailevent')
