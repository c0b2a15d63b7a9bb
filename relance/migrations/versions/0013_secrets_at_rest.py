"""secrets at rest: webhook secrets sealed under RELANCE_CODEC_KEYS, no idempotent answer keeps a secret,
and the expired idempotent answers found by their time

Revision ID: 0013_secrets_at_rest
Revises: 0012_signin_throttle
"""
import sqlalchemy as sa
from alembic import op

from relance.config import Settings
from relance.sealing import Sealer, is_sealed

revision = '0013_secrets_at_rest'
down_revision = '0012_signin_throttle'
branch_labels = None
depends_on = None

# Answers kept before: a new API key's or a new endpoint's, secret included (relance.api.idempotency).
_SECRET_ANSWERS = """
DELETE FROM idempotentrequest
WHERE position(convert_to('"key":"rlk_', 'UTF8') IN body) > 0
   OR position(convert_to('"secret":"whsec_', 'UTF8') IN body) > 0
"""


def upgrade() -> None:
    op.create_index(op.f('ix_idempotentrequest_created_at'), 'idempotentrequest', ['created_at'], unique=False)
    op.execute(_SECRET_ANSWERS)
    sealer = Sealer(Settings().codec_keys)
    if not sealer.seals:  # no key: secrets stay as given (README: set RELANCE_CODEC_KEYS before upgrading)
        return
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, secret FROM webhookendpoint")).all()
    for row in rows:
        if not is_sealed(row.secret):
            connection.execute(sa.text("UPDATE webhookendpoint SET secret = :secret WHERE id = :id"),
                               {"secret": sealer.seal(row.secret), "id": row.id})


def downgrade() -> None:
    sealer = Sealer(Settings().codec_keys)
    connection = op.get_bind()
    for row in connection.execute(sa.text("SELECT id, secret FROM webhookendpoint")).all():
        if is_sealed(row.secret):
            connection.execute(sa.text("UPDATE webhookendpoint SET secret = :secret WHERE id = :id"),
                               {"secret": sealer.open(row.secret), "id": row.id})
    op.drop_index(op.f('ix_idempotentrequest_created_at'), table_name='idempotentrequest')
