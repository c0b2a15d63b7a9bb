"""documents: attachments in object storage, payment URL, cc and language per account, translations,
late-payment interest rate

Revision ID: 0016_documents
Revises: 0014_setup_over_http
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0016_documents'
down_revision = '0015_dunning_life'
branch_labels = None
depends_on = None

_text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        'document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('key', _text(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=True),
        sa.Column('filename', _text(), nullable=False),
        sa.Column('content_type', _text(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', _text(), nullable=False),
        sa.Column('storage_key', _text(), nullable=False),
        sa.Column('source_url', _text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organisation.id']),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('org_id', 'key'),
    )
    op.create_index(op.f('ix_document_org_id'), 'document', ['org_id'], unique=False)
    op.create_index(op.f('ix_document_invoice_id'), 'document', ['invoice_id'], unique=False)
    op.create_table(
        'templatetranslation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('language', _text(), nullable=False),
        sa.Column('subject', _text(), nullable=False),
        sa.Column('body', _text(), nullable=False),
        sa.ForeignKeyConstraint(['template_id'], ['emailtemplate.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('template_id', 'language'),
    )
    op.create_index(op.f('ix_templatetranslation_template_id'), 'templatetranslation', ['template_id'], unique=False)
    op.add_column('invoice', sa.Column('payment_url', _text(), nullable=True))
    op.add_column('account', sa.Column('cc', postgresql.ARRAY(sa.String()), server_default='{}', nullable=False))
    op.add_column('account', sa.Column('language', _text(), nullable=True))
    op.add_column('organisation', sa.Column('late_interest_rate', sa.Numeric(6, 3), nullable=True))
    op.add_column('scenariostep', sa.Column('attach_invoice', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column('scenariostep', 'attach_invoice')
    op.drop_column('organisation', 'late_interest_rate')
    op.drop_column('account', 'language')
    op.drop_column('account', 'cc')
    op.drop_column('invoice', 'payment_url')
    op.drop_index(op.f('ix_templatetranslation_template_id'), table_name='templatetranslation')
    op.drop_table('templatetranslation')
    op.drop_index(op.f('ix_document_invoice_id'), table_name='document')
    op.drop_index(op.f('ix_document_org_id'), table_name='document')
    op.drop_table('document')
