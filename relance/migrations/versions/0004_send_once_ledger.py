"""the send-once ledger of every email, and tasks about any subject (engine issue, part 3)

Revision ID: 0004_send_once_ledger
Revises: 0003_contracts

Run it with the workers stopped: a claim written by the old code while it runs would be missed.
Existing data moves over: the dunning timeline's email rows that carried an idempotency key and the
renewal notices' email outcomes become ledger rows; an old claim still 'sending' (a worker died
between SES and the row) becomes 'uncertain', as the new code would record it, and is never resent.
Tasks keep their rows and say which invoice they are about (by number).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004_send_once_ledger'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('emailledger',
    sa.Column('idem_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('about_kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('about_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sender', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('provider_message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], ),
    sa.PrimaryKeyConstraint('idem_key')
    )
    op.create_index(op.f('ix_emailledger_org_id'), 'emailledger', ['org_id'], unique=False)
    op.create_index(op.f('ix_emailledger_workflow_id'), 'emailledger', ['workflow_id'], unique=False)

    # Old claims left 'sending': the worker died between SES and the row. Uncertain, never resent.
    op.execute("UPDATE runevent SET outcome = 'uncertain', reason = 'delivery_uncertain' "
               "WHERE kind = 'email' AND outcome = 'sending'")
    op.execute("UPDATE renewalnotice SET outcome = 'uncertain', reason = 'delivery_uncertain' "
               "WHERE outcome = 'sending'")
    op.execute("""
        INSERT INTO emailledger (idem_key, org_id, workflow_id, about_kind, about_ref, state, reason, recipient,
                                 sender, subject, provider_message_id, claimed_at, settled_at)
        SELECT e.idem_key, r.org_id, e.workflow_id, 'invoice', i.number, e.outcome, e.reason, e.recipient,
               e.sender, e.subject, e.provider_message_id, e.occurred_at, e.occurred_at
        FROM runevent e JOIN dunningrun r ON r.workflow_id = e.workflow_id JOIN invoice i ON i.id = r.invoice_id
        WHERE e.kind = 'email' AND e.idem_key IS NOT NULL AND e.outcome IN ('sent', 'not_sent', 'uncertain')
    """)
    op.execute("""
        INSERT INTO emailledger (idem_key, org_id, workflow_id, about_kind, about_ref, state, reason, recipient,
                                 sender, subject, provider_message_id, claimed_at, settled_at)
        SELECT n.workflow_id || ':' || 'email', n.org_id, n.workflow_id, 'contract', c.ref, n.outcome, n.reason,
               n.recipient, n.sender, n.subject, n.provider_message_id, n.started_at, n.started_at
        FROM renewalnotice n JOIN contract c ON c.id = n.contract_id
        WHERE n.outcome IN ('sent', 'uncertain')
           OR (n.outcome = 'not_sent' AND n.reason IN ('no_recipient', 'template_error'))
    """)

    op.add_column('task', sa.Column('about_kind', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column('task', sa.Column('about_ref', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.execute("UPDATE task SET about_kind = 'invoice', about_ref = i.number FROM invoice i WHERE i.id = task.invoice_id")
    op.alter_column('task', 'about_kind', nullable=False)
    op.alter_column('task', 'about_ref', nullable=False)
    op.drop_column('task', 'invoice_id')  # and its foreign key


def downgrade() -> None:
    op.add_column('task', sa.Column('invoice_id', sa.Integer(), nullable=True))
    op.execute("UPDATE task SET invoice_id = i.id FROM invoice i "
               "WHERE task.about_kind = 'invoice' AND i.org_id = task.org_id AND i.number = task.about_ref")
    op.execute("DELETE FROM task WHERE invoice_id IS NULL")  # tasks about anything else had no place then
    op.alter_column('task', 'invoice_id', nullable=False)
    op.create_foreign_key('task_invoice_id_fkey', 'task', 'invoice', ['invoice_id'], ['id'])
    op.drop_column('task', 'about_ref')
    op.drop_column('task', 'about_kind')
    op.drop_index(op.f('ix_emailledger_workflow_id'), table_name='emailledger')
    op.drop_index(op.f('ix_emailledger_org_id'), table_name='emailledger')
    op.drop_table('emailledger')
