"""setup over http: a task is closed by someone, at a time

Revision ID: 0018_setup_over_http
Revises: 0012_signin_throttle
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0018_setup_over_http'
down_revision = '0012_signin_throttle'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('task', sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('task', sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    op.drop_column('task', 'closed_by')
    op.drop_column('task', 'closed_at')
