"""pipeline rules: conditions, time triggers (issue 26)

Revision ID: 0018_pipeline_rules
Revises: 0014_setup_over_http
"""
import sqlalchemy as sa
from alembic import op

revision = '0018_pipeline_rules'
down_revision = '0017_customer_dunning'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('opportunity', sa.Column('close_on', sa.Date(), nullable=True))
    op.add_column('opportunity', sa.Column('custom', sa.JSON(), server_default='{}', nullable=False))
    op.add_column('opportunity', sa.Column('stage_since', sa.DateTime(timezone=True), nullable=True))
    op.add_column('opportunity', sa.Column('result_since', sa.DateTime(timezone=True), nullable=True))
    op.add_column('pipelinerule', sa.Column('condition', sa.JSON(), nullable=True))
    op.add_column('pipelineevent', sa.Column('snapshot', sa.JSON(), server_default='{}', nullable=False))
    op.add_column('pipelineevent', sa.Column('conditions', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    op.drop_column('pipelineevent', 'conditions')
    op.drop_column('pipelineevent', 'snapshot')
    op.drop_column('pipelinerule', 'condition')
    op.drop_column('opportunity', 'result_since')
    op.drop_column('opportunity', 'stage_since')
    op.drop_column('opportunity', 'custom')
    op.drop_column('opportunity', 'close_on')
