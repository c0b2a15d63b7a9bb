"""pipeline notify and owner: how each user is notified by a rule (a task or an email), an account's owner
(assign by account owner)

Revision ID: 0022_pipeline_notify_owner
Revises: 0021_draft_documents
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0022_pipeline_notify_owner'
down_revision = '0021_draft_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('appuser', sa.Column('notify_by', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False,
                                       server_default='task'))
    op.add_column('account', sa.Column('owner_user_id', sa.Integer(), nullable=True))
    op.create_foreign_key('fk_account_owner_user_id_appuser', 'account', 'appuser', ['owner_user_id'], ['id'])


def downgrade() -> None:
    op.drop_constraint('fk_account_owner_user_id_appuser', 'account', type_='foreignkey')
    op.drop_column('account', 'owner_user_id')
    op.drop_column('appuser', 'notify_by')
