"""send windows get weekdays and public holidays (issue 10)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 18:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('organisation', sa.Column('send_weekdays', sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                            server_default='mon-fri'))
    op.alter_column('organisation', 'send_weekdays', server_default=None)
    op.add_column('organisation', sa.Column('holiday_country', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column('organisation', sa.Column('holiday_subdivision', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column('scenariostep', sa.Column('send_weekdays', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    op.drop_column('scenariostep', 'send_weekdays')
    op.drop_column('organisation', 'holiday_subdivision')
    op.drop_column('organisation', 'holiday_country')
    op.drop_column('organisation', 'send_weekdays')
