"""draft documents: a document staff attached to an agency's draft, sent with it

Revision ID: 0021_draft_documents
Revises: 0020_languages
"""
import sqlalchemy as sa
from alembic import op

revision = '0021_draft_documents'
down_revision = '0020_languages'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('document', sa.Column('draft_id', sa.Integer(), nullable=True))
    op.create_foreign_key('document_draft_id_fkey', 'document', 'draft', ['draft_id'], ['id'])
    op.create_index(op.f('ix_document_draft_id'), 'document', ['draft_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_document_draft_id'), table_name='document')
    op.drop_constraint('document_draft_id_fkey', 'document', type_='foreignkey')
    op.drop_column('document', 'draft_id')
