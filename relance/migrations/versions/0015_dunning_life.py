"""dunning life: an account excluded from dunning, minimum amounts due, a run's lives

Revision ID: 0015_dunning_life
Revises: 0014_setup_over_http
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015_dunning_life'
down_revision = '0014_setup_over_http'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('account', sa.Column('dunning_excluded', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column('organisation', sa.Column('dunning_minimums', sa.JSON(), server_default='{}', nullable=False))
    op.add_column('dunningrun', sa.Column('life', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    op.drop_column('dunningrun', 'life')
    op.drop_column('organisation', 'dunning_minimums')
    op.drop_column('account', 'dunning_excluded')
