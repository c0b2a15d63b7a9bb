"""What SES says happened to an email after it took it (its events), and the addresses no email goes to."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import recorded_at, timestamp


class EmailEventKind:
    """SES event types relance acts on (configuration set event publishing)."""

    SEND = "Send"
    DELIVERY = "Delivery"
    BOUNCE = "Bounce"
    COMPLAINT = "Complaint"
    REJECT = "Reject"


class EmailEvent(SQLModel, table=True):
    """One SES event about one message (and one recipient, for bounces and complaints). `send_tag` is
    the message tag relance sent it with (the ledger row's); a redelivered event is recorded once."""

    __table_args__ = (UniqueConstraint("provider_message_id", "kind", "recipient", name="uq_emailevent_once"),)
    id: int | None = Field(default=None, primary_key=True)
    send_tag: str | None = Field(default=None, index=True, max_length=64)
    provider_message_id: str = Field(index=True)
    kind: str  # EmailEventKind
    recipient: str = ""
    detail: str | None = None  # bounce type and diagnostic, complaint type, reject reason
    occurred_at: datetime = timestamp(description="SES's time of the event")
    recorded_at: datetime | None = recorded_at()


class SuppressionReason:
    HARD_BOUNCE = "hard_bounce"
    COMPLAINT = "complaint"


class Suppression(SQLModel, table=True):
    """An address no email goes to (a complaint: none but legal notices), with why and since when."""

    address: str = Field(primary_key=True, description="lower case")
    reason: str  # SuppressionReason
    detail: str | None = None
    since: datetime = timestamp(description="SES's time of the bounce or complaint")
    recorded_at: datetime | None = recorded_at()
