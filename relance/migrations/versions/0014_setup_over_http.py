"""setup over http: a task is closed by someone, at a time

Revision ID: 0014_setup_over_http
Revises: 0013_secrets_at_rest
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014_setup_over_http'
down_revision = '0013_secrets_at_rest'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('task', sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('task', sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    op.drop_column('task', 'closed_by')
    op.drop_column('task', 'closed_at')
