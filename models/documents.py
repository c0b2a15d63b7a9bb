"""Documents the host gives relance to attach to emails (an invoice's PDF, a contract, a form). The bytes
are in object storage (relance.documents); the row says what they are and where."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import recorded_at


class Document(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("org_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    key: str = Field(description="the host's name for it, unique in the organisation")
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True,
                                   description="the invoice it belongs to (attached by dunning steps that say so)")
    draft_id: int | None = Field(default=None, foreign_key="draft.id", index=True,
                                 description="the agency draft staff attached it to (sent with that draft)")
    filename: str
    content_type: str = Field(description="sniffed from the bytes when it arrived, never taken from the name")
    size: int
    sha256: str
    storage_key: str = Field(description="the object's key in the documents bucket")
    source_url: str | None = Field(default=None, description="the URL it was fetched from, if any")
    created_at: datetime | None = recorded_at()
