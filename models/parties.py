"""The people around an invoice: the organisation's users, its customers (accounts) and their contacts."""

from datetime import datetime

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from models.columns import timestamp


class AppUser(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("org_id", "email"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    email: str
    first_name: str = ""
    last_name: str = ""
    notify_on_reminder: bool = Field(default=False, description="copy (Bcc) of every reminder sent in their name")
    notify_by: str = Field(default="task", max_length=8, sa_column_kwargs={"server_default": "task"},
                           description="how a pipeline rule's notify reaches them: task | email")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Account(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("org_id", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    ref: str = Field(description="customer code; used in search attributes instead of the name (no PII there)")
    name: str
    email: str | None = None
    # Extra recipients in copy (Cc) of every email to the customer (Odoo's follow-up "cc").
    cc: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(String), nullable=False, server_default="{}"))
    language: str | None = Field(default=None, description="the customer's (fr, en, nl-BE...): its templates' "
                                 "translation in it, else the organisation's; None: the organisation's")
    # Per-customer dunning (relance.dunning.assignment): the account's own scenario (a key, its newest version
    # when a run starts) and the tags assignment rules select by.
    dunning_scenario_key: str | None = None
    tags: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(String), nullable=False,
                                                                   server_default="{}"))
    dunning_excluded: str | None = Field(default=None, description="why its runs are held; None: not excluded")
    owner_user_id: int | None = Field(default=None, foreign_key="appuser.id",
                                      description="the account's owner (pipeline: assign by account owner)")


class Contact(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("org_id", "ref"), Index("ix_contact_tags", "tags", postgresql_using="gin"))
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    ref: str
    civility: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    is_billing: bool = False
    is_decision_maker: bool = False
    # Marketing (relance.marketing): the tags batch enrolment selects by, and consent. An opted-out
    # contact is never enrolled or mailed by marketing again; dunning is not marketing and ignores it.
    tags: list[str] = Field(default_factory=list, sa_column=Column(ARRAY(String), nullable=False,
                                                                   server_default="{}"))
    opted_out_at: datetime | None = timestamp(nullable=True, default=None)
    opted_out_via: str | None = Field(default=None, description="link | one_click | import | api")
    deleted_at: datetime | None = timestamp(nullable=True, default=None, description="the host deleted the contact")

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None
