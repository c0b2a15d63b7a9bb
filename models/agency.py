"""The booking agency's tables (seed 003): agencies and their staff, properties, bookings and their
payments, per-kind settings and templates, the drafts of the outbox, and the send-all batches."""

from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlalchemy import Integer as SaInteger
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from models.columns import money, recorded_at, timestamp


class DraftKind(StrEnum):
    """The four kinds of retro-planned email, one outbox tab each."""

    BALANCE = "balance"  # before the balance due date
    ARRIVAL = "arrival"  # before arrival
    OPTION = "option"  # before the option expires
    AFTER_DEPARTURE = "after_departure"  # after departure


class BookingStatus(StrEnum):
    OPTION = "option"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class DraftStatus(StrEnum):
    """waiting: as the template made it; edited: a person changed it; sending: claimed by a send;
    sent; withdrawn (reason: balance_paid, option_confirmed, option_lapsed, booking_cancelled,
    dates_changed, kind_switched_off); expired (past sendable_until); failed (reason: the provider's
    refusal; a retry may send it)."""

    WAITING = "waiting"
    EDITED = "edited"
    SENDING = "sending"
    SENT = "sent"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    FAILED = "failed"


class Agency(SQLModel, table=True):
    """One agency of an organisation: its own zone, send window, sender address and staff."""

    __table_args__ = (UniqueConstraint("org_id", "slug"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    slug: str = Field(description="short id used in workflow ids, unique in the organisation")
    name: str
    timezone: str = "Europe/Paris"
    language: str = Field(default="fr", description="the template used when none is in the guest's language")
    send_window_start: time = time(9, 0)
    send_window_end: time = time(18, 0)
    sender_email: str
    sender_name: str | None = None

    @property
    def from_name(self) -> str:
        """The name guests and staff see the agency's emails come from: its sender's, else its own."""
        return self.sender_name or self.name


class AgencyStaff(SQLModel, table=True):
    """A person working an agency's outbox; web sign-in accounts match on (organisation, email)."""

    __table_args__ = (UniqueConstraint("agency_id", "email"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    email: str = Field(index=True, description="stored lower-case")
    name: str
    wants_morning_summary: bool = False


class Property(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("agency_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    ref: str
    name: str


class Booking(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("agency_id", "reference"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    property_id: int = Field(foreign_key="property.id")
    reference: str
    guest_name: str
    guest_email: str
    guest_language: str = "fr"
    arrival: date
    departure: date
    status: str = BookingStatus.CONFIRMED
    option_expires_on: date | None = None
    balance_amount: Decimal = money(default=Decimal(0))
    balance_due_on: date | None = None


class BookingPayment(SQLModel, table=True):
    """A payment towards a booking's balance; the balance is paid when they add up to it."""

    __table_args__ = (UniqueConstraint("booking_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", index=True)
    ref: str
    amount: Decimal = money()
    paid_on: date


class AgencyKindSetting(SQLModel, table=True):
    """Per agency and kind: on or off, and how many days before (balance, arrival, option) or after
    (after departure) the booking's date the email is drafted. The date it counts from is the kind's."""

    __table_args__ = (UniqueConstraint("agency_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    kind: str  # DraftKind
    enabled: bool = False
    delay_days: int = 0


class AgencyTemplate(SQLModel, table=True):
    """The agency's template for a kind in one language (jinja2, sandboxed; relance.agency.merge_fields)."""

    __table_args__ = (UniqueConstraint("agency_id", "kind", "language"),)
    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    kind: str
    language: str
    subject: str
    body: str


class Draft(SQLModel, table=True):
    """One email drafted into an agency's outbox, once per (agency, kind, booking, date it counts from).
    `made_from` keeps the booking's facts and the template the draft was rendered from; `version`
    goes up at every change, so an edit or a send made on a stale copy is refused."""

    __table_args__ = (UniqueConstraint("agency_id", "kind", "booking_id", "counts_from"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    booking_id: int = Field(foreign_key="booking.id", index=True)
    kind: str = Field(index=True)
    counts_from: date
    due_on: date
    sendable_until: date
    language: str
    recipient: str
    subject: str
    body: str
    made_from: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=DraftStatus.WAITING, index=True)
    reason: str | None = None
    flagged: str | None = Field(default=None, description="why an edited draft no longer matches its booking")
    version: int = 1
    edited_by: str | None = None
    edited_at: datetime | None = timestamp(nullable=True, default=None)
    batch_id: str | None = Field(default=None, index=True)
    sent_by: str | None = None
    sent_at: datetime | None = timestamp(nullable=True, default=None)
    provider_message_id: str | None = None
    drafted_at: datetime = timestamp(description="business time (workflow time)")
    closed_at: datetime | None = timestamp(nullable=True, default=None, description="withdrawn/expired/sent at")
    recorded_at: datetime | None = recorded_at()


class SendBatch(SQLModel, table=True):
    """A "send all" of one tab: exactly the drafts the person confirmed, sent by one durable run."""

    id: str = Field(primary_key=True, description="the run's key, agency-send:<org>:<agency>:<uuid>")
    org_id: int = Field(foreign_key="organisation.id", index=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    kind: str
    requested_by: str
    draft_ids: list[int] = Field(default_factory=list, sa_column=Column(ARRAY(SaInteger), nullable=False))
    state: str = "sending"  # sending | finished
    requested_at: datetime = timestamp()
    finished_at: datetime | None = timestamp(nullable=True, default=None)
