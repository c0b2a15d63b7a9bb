"""languages: the language a staff account reads the outbox and its emails in (None: its agency's)

Revision ID: 0020_languages
Revises: 0014_setup_over_http
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0020_languages'
down_revision = '0019_reports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('staffaccount', sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column('staffaccount', 'language')
