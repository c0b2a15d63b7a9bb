"""agency: agencies, staff, properties, bookings and payments, per-kind settings and templates, drafts, send-alls (issue 14)

Revision ID: 0010_agency
Revises: 0009_pipeline
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0010_agency'
down_revision = '0009_pipeline'
branch_labels = None
depends_on = None

_S = sqlmodel.sql.sqltypes.AutoString


def _tenant(agency: bool = True) -> list:
    columns = [sa.Column('id', sa.Integer(), nullable=False), sa.Column('org_id', sa.Integer(), nullable=False)]
    if agency:
        columns.append(sa.Column('agency_id', sa.Integer(), nullable=False))
    return columns


def _keys(table: str, agency: bool = True) -> list:
    keys = [sa.ForeignKeyConstraint(['org_id'], ['organisation.id']), sa.PrimaryKeyConstraint('id')]
    if agency:
        keys.append(sa.ForeignKeyConstraint(['agency_id'], ['agency.id']))
    return keys


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f'ix_{table}_{column}'), table, [column], unique=False)


def upgrade() -> None:
    op.create_table('agency', *_tenant(agency=False),
                    sa.Column('slug', _S(), nullable=False),
                    sa.Column('name', _S(), nullable=False),
                    sa.Column('timezone', _S(), nullable=False),
                    sa.Column('language', _S(), nullable=False),
                    sa.Column('send_window_start', sa.Time(), nullable=False),
                    sa.Column('send_window_end', sa.Time(), nullable=False),
                    sa.Column('sender_email', _S(), nullable=False),
                    sa.Column('sender_name', _S(), nullable=True),
                    *_keys('agency', agency=False), sa.UniqueConstraint('org_id', 'slug'))
    _index('agency', 'org_id')
    op.create_table('agencystaff', *_tenant(),
                    sa.Column('email', _S(), nullable=False),
                    sa.Column('name', _S(), nullable=False),
                    sa.Column('wants_morning_summary', sa.Boolean(), nullable=False),
                    *_keys('agencystaff'), sa.UniqueConstraint('agency_id', 'email'))
    _index('agencystaff', 'org_id', 'agency_id', 'email')
    op.create_table('property', *_tenant(),
                    sa.Column('ref', _S(), nullable=False),
                    sa.Column('name', _S(), nullable=False),
                    *_keys('property'), sa.UniqueConstraint('agency_id', 'ref'))
    _index('property', 'org_id', 'agency_id')
    op.create_table('booking', *_tenant(),
                    sa.Column('property_id', sa.Integer(), nullable=False),
                    sa.Column('reference', _S(), nullable=False),
                    sa.Column('guest_name', _S(), nullable=False),
                    sa.Column('guest_email', _S(), nullable=False),
                    sa.Column('guest_language', _S(), nullable=False),
                    sa.Column('arrival', sa.Date(), nullable=False),
                    sa.Column('departure', sa.Date(), nullable=False),
                    sa.Column('status', _S(), nullable=False),
                    sa.Column('option_expires_on', sa.Date(), nullable=True),
                    sa.Column('balance_amount', sa.Numeric(12, 2), nullable=False),
                    sa.Column('balance_due_on', sa.Date(), nullable=True),
                    *_keys('booking'), sa.ForeignKeyConstraint(['property_id'], ['property.id']),
                    sa.UniqueConstraint('agency_id', 'reference'))
    _index('booking', 'org_id', 'agency_id')
    op.create_table('bookingpayment',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('booking_id', sa.Integer(), nullable=False),
                    sa.Column('ref', _S(), nullable=False),
                    sa.Column('amount', sa.Numeric(12, 2), nullable=False),
                    sa.Column('paid_on', sa.Date(), nullable=False),
                    sa.ForeignKeyConstraint(['booking_id'], ['booking.id']), sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('booking_id', 'ref'))
    _index('bookingpayment', 'booking_id')
    op.create_table('agencykindsetting',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('agency_id', sa.Integer(), nullable=False),
                    sa.Column('kind', _S(), nullable=False),
                    sa.Column('enabled', sa.Boolean(), nullable=False),
                    sa.Column('delay_days', sa.Integer(), nullable=False),
                    sa.ForeignKeyConstraint(['agency_id'], ['agency.id']), sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('agency_id', 'kind'))
    _index('agencykindsetting', 'agency_id')
    op.create_table('agencytemplate',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('agency_id', sa.Integer(), nullable=False),
                    sa.Column('kind', _S(), nullable=False),
                    sa.Column('language', _S(), nullable=False),
                    sa.Column('subject', _S(), nullable=False),
                    sa.Column('body', _S(), nullable=False),
                    sa.ForeignKeyConstraint(['agency_id'], ['agency.id']), sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('agency_id', 'kind', 'language'))
    _index('agencytemplate', 'agency_id')
    op.create_table('draft', *_tenant(),
                    sa.Column('booking_id', sa.Integer(), nullable=False),
                    sa.Column('kind', _S(), nullable=False),
                    sa.Column('counts_from', sa.Date(), nullable=False),
                    sa.Column('due_on', sa.Date(), nullable=False),
                    sa.Column('sendable_until', sa.Date(), nullable=False),
                    sa.Column('language', _S(), nullable=False),
                    sa.Column('recipient', _S(), nullable=False),
                    sa.Column('subject', _S(), nullable=False),
                    sa.Column('body', _S(), nullable=False),
                    sa.Column('made_from', sa.JSON(), nullable=False),
                    sa.Column('status', _S(), nullable=False),
                    sa.Column('reason', _S(), nullable=True),
                    sa.Column('flagged', _S(), nullable=True),
                    sa.Column('version', sa.Integer(), nullable=False),
                    sa.Column('edited_by', _S(), nullable=True),
                    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('batch_id', _S(), nullable=True),
                    sa.Column('sent_by', _S(), nullable=True),
                    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('provider_message_id', _S(), nullable=True),
                    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
                    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                              nullable=False),
                    *_keys('draft'), sa.ForeignKeyConstraint(['booking_id'], ['booking.id']),
                    sa.UniqueConstraint('agency_id', 'kind', 'booking_id', 'counts_from'))
    _index('draft', 'org_id', 'agency_id', 'booking_id', 'kind', 'status', 'batch_id')
    op.create_table('sendbatch',
                    sa.Column('id', _S(), nullable=False),
                    sa.Column('org_id', sa.Integer(), nullable=False),
                    sa.Column('agency_id', sa.Integer(), nullable=False),
                    sa.Column('kind', _S(), nullable=False),
                    sa.Column('requested_by', _S(), nullable=False),
                    sa.Column('draft_ids', postgresql.ARRAY(sa.Integer()), nullable=False),
                    sa.Column('state', _S(), nullable=False),
                    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
                    *_keys('sendbatch'))
    _index('sendbatch', 'org_id', 'agency_id')


def downgrade() -> None:
    for table in ('sendbatch', 'draft', 'agencytemplate', 'agencykindsetting', 'bookingpayment', 'booking',
                  'property', 'agencystaff', 'agency'):
        op.drop_table(table)
