"""The outbox in-process over httpx's ASGI transport (cookies kept per browser), on the test stack's
database, Temporal test server and local SES, with agencies and staff written as the importer would."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from models import Agency, AgencyStaff, Booking, BookingStatus, Draft, DraftKind, DraftStatus, Property
from relance import repository, staff
from relance.api.app import create_app
from relance.api.services import Services

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Browser:
    """One person's browser: its own cookies; forms are posted with the CSRF token of the page they came from."""

    http: httpx.AsyncClient

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path)

    async def submit(self, page_path: str, to: str, **fields) -> httpx.Response:
        """Open `page_path`, then post its form to `to` with these fields and the page's token."""
        token = CSRF.search((await self.get(page_path)).text).group(1)
        return await self.http.post(to, data={"csrf": token, **fields})

    async def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.submit("/outbox/signin", "/outbox/signin", email=email, password=password)


@dataclass
class Outbox:
    app: object
    stack: object

    @asynccontextmanager
    async def browser(self):
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://relance.test") as http:
            yield Browser(http)

    async def agency(self, slug: str, *staff_emails: str) -> Agency:
        """An agency of the stack's organisation with these staff."""
        async with self.stack.db.session() as session:
            org = await repository.organisation(session, self.stack.slug)
            agency = Agency(org_id=org.id, slug=slug, name=f"Agence {slug}", sender_email=f"{slug}@agency.example")
            session.add(agency)
            await session.flush()
            for email in staff_emails:
                session.add(AgencyStaff(org_id=org.id, agency_id=agency.id, email=email, name=email.split("@")[0]))
        await self.stack.mailer.verify(agency.sender_email)
        return agency

    async def drafts(self, agency: Agency) -> dict[str, Draft]:
        """A booking per kind with its waiting draft (as the nightly drafting leaves them), and a withdrawn
        one; keyed by kind, the withdrawn one as "withdrawn"."""
        today = await self.stack.today()
        made = {}
        async with self.stack.db.session() as session:
            place = Property(org_id=agency.org_id, agency_id=agency.id, ref="P1", name="Villa Les Pins")
            session.add(place)
            await session.flush()
            for n, kind in enumerate([*DraftKind, "withdrawn"]):
                withdrawn = kind == "withdrawn"
                option = kind == DraftKind.OPTION
                booking = Booking(org_id=agency.org_id, agency_id=agency.id, property_id=place.id,
                                  reference=f"{agency.slug.upper()}-{n}", guest_name=f"Guest {n}",
                                  guest_email=f"guest{n}@{agency.slug}.example", arrival=today + timedelta(days=5),
                                  departure=today + timedelta(days=12), balance_amount=Decimal("500"),
                                  balance_due_on=today + timedelta(days=3),
                                  status=BookingStatus.OPTION if option else BookingStatus.CONFIRMED,
                                  option_expires_on=today + timedelta(days=2) if option else None)
                session.add(booking)
                await session.flush()
                kind = DraftKind.BALANCE if withdrawn else kind
                counts_from = {DraftKind.BALANCE: booking.balance_due_on, DraftKind.ARRIVAL: booking.arrival,
                               DraftKind.OPTION: booking.option_expires_on,
                               DraftKind.AFTER_DEPARTURE: booking.departure}[kind]
                draft = Draft(org_id=agency.org_id, agency_id=agency.id, booking_id=booking.id, kind=kind,
                              counts_from=counts_from, due_on=today,
                              sendable_until=today + timedelta(days=14 if n else 1), language="fr",
                              recipient=booking.guest_email,
                              subject=f"{agency.name}: {'withdrawn' if withdrawn else kind} {booking.reference}",
                              body=f"Bonjour Guest {n},\nÀ bientôt.", drafted_at=datetime.now(UTC),
                              status=DraftStatus.WITHDRAWN if withdrawn else DraftStatus.WAITING,
                              reason="balance_paid" if withdrawn else None)
                session.add(draft)
                await session.flush()
                made["withdrawn" if withdrawn else kind] = draft
        return made

    async def account(self, email: str, password: str | None = PASSWORD):
        return await staff.create_account(self.stack.db, self.stack.slug, email, password)


@pytest.fixture
async def outbox(stack, settings):
    await stack.load(stack.org())
    app_settings = replace(settings, task_queue=stack.task_queue)
    app = create_app(app_settings)
    app.state.services = Services(app_settings, stack.db, stack.mailer, _client=stack.client)
    yield Outbox(app, stack)
