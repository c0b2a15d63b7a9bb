"""Who may open the agency outbox in a browser: staff accounts, their one-time sign-in links and
their sessions. Secrets are never stored: passwords as argon2 hashes, link and session tokens as
SHA-256 (random 256-bit tokens need no slow hash)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.columns import recorded_at, timestamp


class StaffAccount(SQLModel, table=True):
    """A person of an organisation; the agencies they see are those listing them as AgencyStaff
    (same organisation, same email). An email has one account (it is what the person types)."""

    __tablename__ = "staffaccount"
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    email: str = Field(unique=True, max_length=320, description="stored lower-case")
    password_hash: str | None = Field(default=None, description="argon2id; None: signs in by email link only")
    language: str | None = Field(default=None, max_length=8,
                                 description="fr or en, chosen on the account page; None: its first agency's")
    failed_signins: int = Field(default=0, description="consecutive wrong passwords")
    locked_until: datetime | None = timestamp(nullable=True, default=None)
    created_at: datetime | None = recorded_at()


class StaffSignInLink(SQLModel, table=True):
    """A one-time sign-in link sent by email: used once, within minutes."""

    __tablename__ = "staffsigninlink"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="staffaccount.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = timestamp()
    expires_at: datetime = timestamp()
    used_at: datetime | None = timestamp(nullable=True, default=None)


class StaffSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds the signed session key; deleting the row signs it out."""

    __tablename__ = "staffsession"
    key_hash: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(foreign_key="staffaccount.id", index=True)
    created_at: datetime = timestamp()
    expires_at: datetime = timestamp()


class SignInThrottle(SQLModel, table=True):
    """Sign-in attempts (passwords and link requests) from one network address in the current window:
    guessing across many accounts, or flooding mailboxes, from one place is slowed down."""

    __tablename__ = "signinthrottle"
    client: str = Field(primary_key=True, max_length=64, description="the address the request came from")
    window_start: datetime = timestamp()
    attempts: int = Field(default=0)
