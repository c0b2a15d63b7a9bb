"""The outbox in-process over httpx's ASGI transport (cookies kept per browser), on the test stack's
database, Temporal test server and local SES, with agencies and staff written as the importer would."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import httpx
import pytest

from models import Agency, AgencyStaff
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

    async def submit(self, page_path: str, action: str, **fields) -> httpx.Response:
        """Open `page_path`, then post its form to `action` with these fields and the page's token."""
        token = CSRF.search((await self.get(page_path)).text).group(1)
        return await self.http.post(action, data={"csrf": token, **fields})

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

    async def account(self, email: str, password: str | None = PASSWORD):
        return await staff.create_account(self.stack.db, self.stack.slug, email, password)


@pytest.fixture
async def outbox(stack, settings):
    await stack.load(stack.org())
    app_settings = replace(settings, task_queue=stack.task_queue)
    app = create_app(app_settings)
    app.state.services = Services(app_settings, stack.db, stack.mailer, _client=stack.client)
    yield Outbox(app, stack)
