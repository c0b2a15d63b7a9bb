"""Per-customer dunning over HTTP: an account's own scenario and tags, the organisation's assignment
rules (first match wins, the default scenario after), the customer statement. The same starter
functions as `relance customer …`."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from relance import limits
from relance.api.auth import organisation
from relance.api.problems import documented
from relance.api.services import Services, services
from relance.dunning.listing import Line
from relance.importing.format import REFERENCE_PATTERN
from starter import dunning_customer as customers

router = APIRouter(prefix="/v1", tags=["customers"], responses=documented(401, 403, 404, 409, 413, 422, 503))

AccountRef = Annotated[str, Path(pattern=REFERENCE_PATTERN, max_length=limits.MAX_ID_LENGTH)]


class StatementOut(BaseModel):
    account: str
    name: str
    invoices: list[Line]
    totals: dict[str, Decimal] = Field(description="amount due per currency")
    recipient: str | None = Field(description="who it goes to; null with not_sendable saying why")
    subject: str | None
    text: str
    not_sendable: str | None = Field(default=None, description="why it cannot be sent (no recipient, sender)")
    message_id: str | None = Field(default=None, description="sent: the provider's message id")


def _out(statement, message_id: str | None = None) -> StatementOut:
    email, composition = statement.composition.email, statement.composition
    return StatementOut(
        account=statement.account, name=statement.name,
        invoices=list(statement.lines), totals=statement.totals,
        recipient=email.to if email else None, subject=email.subject if email else None, text=statement.text,
        not_sendable=None if email else f"{composition.reason}: {composition.detail}", message_id=message_id)


@router.put("/accounts/{ref}/dunning", response_model=customers.AccountDunning)
async def put_account_dunning(ref: AccountRef, body: customers.AccountDunningChange,
                              org: str = Depends(organisation), svc: Services = Depends(services)):
    """The account's own scenario (`null` clears it) and its tags; only the fields given change. Runs
    already going keep their scenario; the next run of the account's invoices takes it."""
    return await customers.change_account(svc.db, org, ref, body)


@router.get("/settings/dunning/scenario-rules", response_model=customers.ScenarioRules)
async def get_rules(org: str = Depends(organisation), svc: Services = Depends(services)):
    return await customers.read_rules(svc.db, org)


@router.put("/settings/dunning/scenario-rules", response_model=customers.ScenarioRules)
async def put_rules(body: customers.ScenarioRules, org: str = Depends(organisation),
                    svc: Services = Depends(services)):
    """Replace the ordered rules ({"tag"} or {"min_due", "max_due"} with a "scenario"); `[]` clears them."""
    return await customers.change_rules(svc.db, org, body)


@router.get("/accounts/{ref}/statement", response_model=StatementOut,
            responses={200: {"content": {"text/plain": {}}}})
async def get_statement(ref: AccountRef, format: Literal["json", "text"] = Query("json"),
                        org: str = Depends(organisation), svc: Services = Depends(services)):
    """The account's open invoices, amounts due and totals per currency, as the statement email says them;
    nothing sent. 422 when nothing is due."""
    statement = await customers.statement(svc.db, svc.mailer, org, ref)
    if format == "text":
        return PlainTextResponse(statement.text)
    return _out(statement)


@router.post("/accounts/{ref}/statement/send", response_model=StatementOut)
async def send_statement(ref: AccountRef, org: str = Depends(organisation), svc: Services = Depends(services),
                         idempotency_key: str | None = Header(default=None)):
    """Send the statement now (the one send path; with an Idempotency-Key, a retry sends nothing more)."""
    statement, result = await customers.send_statement(svc.db, svc.mailer, org, ref, idempotency_key)
    return _out(statement, result.message_id)
