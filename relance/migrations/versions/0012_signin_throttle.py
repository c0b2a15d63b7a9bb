"""signin throttle: sign-in attempts per network address in the current window (outbox)

Revision ID: 0012_signin_throttle
Revises: 0011_outbox
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0012_signin_throttle'
down_revision = '0011_outbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signinthrottle',
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('client')
    )


def downgrade() -> None:
    op.drop_table('signinthrottle')
