"""What the HTTP API keeps: the keys that open it, and the answers to idempotent requests."""

from datetime import datetime

from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import recorded_at, timestamp


class ApiKey(SQLModel, table=True):
    """A key is shown once; only its SHA-256 is kept (a random 256-bit key needs no slow hash). An
    organisation's key is confined to it; an admin key (no organisation) may only create organisations."""

    __tablename__ = "apikey"
    id: int | None = Field(default=None, primary_key=True)
    org_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    name: str = Field(default="", max_length=100)
    prefix: str = Field(max_length=16, description="the key's first characters, to tell keys apart in lists")
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = timestamp()
    last_used_at: datetime | None = timestamp(nullable=True, default=None)
    revoked_at: datetime | None = timestamp(nullable=True, default=None)

    @property
    def is_admin(self) -> bool:
        return self.org_id is None


class IdempotentRequest(SQLModel, table=True):
    """The first answer to a request sent with an Idempotency-Key, replayed for the same key and body.
    Scoped by the API key, so two tenants' keys never meet. `status` is empty while the first is in
    flight; `body` is empty when the answer showed a secret (never kept). Purged after a day."""

    __tablename__ = "idempotentrequest"
    __table_args__ = (UniqueConstraint("api_key_id", "idem_key"),)
    id: int | None = Field(default=None, primary_key=True)
    api_key_id: int = Field(foreign_key="apikey.id", index=True)
    idem_key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status: int | None = None
    content_type: str | None = None
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime | None = recorded_at(index=True)  # the daily purge finds the expired by it
