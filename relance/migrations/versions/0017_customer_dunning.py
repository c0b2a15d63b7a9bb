"""customer dunning: scenario per account, tag or amount; one email per customer

Revision ID: 0017_customer_dunning
Revises: 0014_setup_over_http
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0017_customer_dunning'
down_revision = '0016_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'scenariorule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('scenario_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('tag', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('min_due', sa.Numeric(12, 2), nullable=True),
        sa.Column('max_due', sa.Numeric(12, 2), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('org_id', 'position'),
    )
    op.create_index(op.f('ix_scenariorule_org_id'), 'scenariorule', ['org_id'], unique=False)
    op.add_column('account', sa.Column('dunning_scenario_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column('account', sa.Column('tags', postgresql.ARRAY(sa.String()), server_default='{}', nullable=False))
    op.add_column('organisation', sa.Column('dunning_one_email_per_customer', sa.Boolean(), server_default='false',
                                            nullable=False))
    op.add_column('dunningrun', sa.Column('scenario_choice', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    op.drop_column('dunningrun', 'scenario_choice')
    op.drop_column('organisation', 'dunning_one_email_per_customer')
    op.drop_column('account', 'tags')
    op.drop_column('account', 'dunning_scenario_key')
    op.drop_index(op.f('ix_scenariorule_org_id'), table_name='scenariorule')
    op.drop_table('scenariorule')
