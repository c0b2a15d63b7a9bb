"""The outbox in-process over httpx's ASGI transport (cookies kept per browser), on the test stack's
database, Temporal test server and local SES. Agencies and bookings come through the real importer,
drafts through the real drafting run, the withdrawn draft through a payment the host reports."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta

import httpx
import pytest
from argon2 import PasswordHasher
from sqlmodel import select
from temporalio.client import Client

from models import Agency, Draft
from relance import staff
from relance.api.services import Services
from starter import agency as agency_starter
from tests.agency.data import ALL_DAY, booking, kinds
from tests.shared_app import app_serving, release

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
# Each kind falls due today for one booking of each agency (see `bookings`).
DELAYS = {"balance": 3, "arrival": 5, "option": 2, "after_departure": 7}


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

    async def upload(self, page_path: str, to: str, filename: str, data: bytes) -> httpx.Response:
        """Open `page_path`, then post a file to `to` as its upload form does (multipart, the page's token)."""
        token = CSRF.search((await self.get(page_path)).text).group(1)
        return await self.http.post(to, data={"csrf": token}, files={"file": (filename, data)})

    async def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.submit("/outbox/signin", "/outbox/signin", email=email, password=password)


def bookings(prefix: str, today) -> list[dict]:
    """One booking per kind falling due today, and one whose balance gets paid (its draft withdrawn)."""
    day = timedelta(days=1)
    return [
        booking(f"{prefix}-BAL", today + 30 * day, today + 37 * day, balance_amount="500",
                balance_due_on=today + 3 * day),
        booking(f"{prefix}-ARR", today + 5 * day, today + 12 * day),
        booking(f"{prefix}-OPT", today + 40 * day, today + 47 * day, status="option",
                option_expires_on=today + 2 * day),
        booking(f"{prefix}-DEP", today - 14 * day, today - 7 * day),
        booking(f"{prefix}-PAID", today + 31 * day, today + 38 * day, balance_amount="300",
                balance_due_on=today + 3 * day),
    ]


@dataclass
class Outbox:
    app: object
    stack: object

    @asynccontextmanager
    async def browser(self, address: str = "127.0.0.1", language: str = "en"):
        """A browser on the network `address` (the one requests come from), asking for pages in `language`."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://relance.test",
                                     headers={"Accept-Language": language}) as http:
            yield Browser(http)

    async def agencies(self, summary: bool = False, **staff_of: list[str]) -> dict[str, dict[str, Draft]]:
        """Agencies (slug -> staff emails) of the stack's organisation, imported, drafted for today (the
        staff emailed the day's summary if `summary`), one balance draft withdrawn; per agency its drafts
        by kind, the withdrawn one as "withdrawn"."""
        today = await self.stack.today()
        agencies = [{"slug": slug, "name": f"Agence {slug}", "sender_email": f"{slug}@agency.example",
                     "send_window": ALL_DAY,
                     "staff": [{"email": email, "name": email.split("@")[0], "morning_summary": summary}
                               for email in emails],
                     "properties": [{"ref": "P1", "name": "Villa Les Pins"}], "kinds": kinds(DELAYS),
                     "bookings": bookings(slug.upper(), today)} for slug, emails in staff_of.items()]
        await self.stack.load(self.stack.org(agencies=agencies))
        made = {}
        for slug in staff_of:
            await self.stack.mailer.verify(f"{slug}@agency.example")
            with self.stack.env.auto_time_skipping_disabled():  # no jump of the test server's clock
                await agency_starter.draft_day(self.stack.client, self.stack.task_queue, self.stack.slug, slug,
                                               today)
            paid = {**bookings(slug.upper(), today)[-1], "payments": [
                {"ref": "pay-1", "amount": "300", "paid_on": today.isoformat()}]}
            await agency_starter.report_booking(None, self.stack.db, self.stack.task_queue, self.stack.slug, slug,
                                                paid, today)
            made[slug] = await self._drafts(slug)
        return made

    async def _drafts(self, slug: str) -> dict[str, Draft]:
        async with self.stack.db.session() as session:
            rows = (await session.exec(select(Draft).join(Agency, Agency.id == Draft.agency_id)
                                       .where(Agency.slug == slug).order_by(Draft.id))).all()
        return {("withdrawn" if d.status == "withdrawn" else d.kind): d for d in rows}

    async def account(self, email: str, password: str | None = PASSWORD, language: str | None = "en"):
        """An account reading the outbox in `language` (None: its agency's, French)."""
        account = await staff.create_account(self.stack.db, self.stack.slug, email, password)
        if language:
            await staff.set_language(self.stack.db, account.id, language)
        return account

    @asynccontextmanager
    async def signed_in(self, email: str, language: str | None = "en"):
        """A browser signed in as `email` (its account made now, reading `language`)."""
        await self.account(email, language=language)
        async with self.browser(language=language or "en") as browser:
            assert (await browser.sign_in(email)).status_code == 303
            yield browser


def serving(stack, settings, task_queue: str):
    """The app, sending through the workers of `task_queue`. Its Temporal client waits in real time, as
    in production: the test client's time skipping would jump the clock years ahead after a send, past
    every draft's last sendable day."""
    app_settings = replace(settings, task_queue=task_queue)
    client = Client(stack.client.service_client, namespace=stack.client.namespace,
                    data_converter=stack.client.data_converter)
    return app_serving(Services(app_settings, stack.db, stack.mailer, _client=client))


# relance stores argon2id with the library's defaults (relance/staff.py): ~0.24 s of CPU a hash or a
# check, by design. These tests sign in hundreds of times, so their process hashes with the cheapest
# parameters instead, as Django's test settings advise; a hash names its own parameters, so checking
# works alike. test_signin.py checks that relance's own hasher is the strong one.
STORED_BY_RELANCE = staff._hasher


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing():
    staff._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    staff._hasher = STORED_BY_RELANCE


@pytest.fixture
async def outbox(stack, settings):
    await stack.load(stack.org())
    app = serving(stack, settings, stack.task_queue)
    yield Outbox(app, stack)
    release(app)
