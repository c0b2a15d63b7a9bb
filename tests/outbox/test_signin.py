"""Signing in to the outbox: passwords and one-time links, CSRF, tampered cookies, lockout, sign-out."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from unittest.mock import AsyncMock

import httpx
import uvicorn
from botocore.exceptions import EndpointConnectionError
from sqlalchemy import delete, update
from sqlmodel import select

from models import SignInThrottle, StaffAccount, StaffSession, StaffSignInLink
from relance import staff
from relance.cli import api as api_cli
from relance.web.session import COOKIE
from tests.conftest import free_port
from tests.outbox.conftest import CSRF, PASSWORD, STORED_BY_RELANCE, Browser


async def test_a_page_sends_a_stranger_to_sign_in_then_back_where_they_were(outbox):
    await outbox.agencies(nord=["ana@agency.example"])
    await outbox.account("ana@agency.example")
    async with outbox.browser() as ana:
        answer = await ana.get("/outbox/agencies/nord/closed")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/outbox/signin?next=/outbox/agencies/nord/closed"
        signed = await ana.submit(answer.headers["location"], "/outbox/signin", email="Ana@Agency.example",
                                  password=PASSWORD, next="/outbox/agencies/nord/closed")
        assert signed.status_code == 303 and signed.headers["location"] == "/outbox/agencies/nord/closed"
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/outbox" in cookie
        page = await ana.get("/outbox/agencies/nord/closed")
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"


async def test_a_wrong_password_or_an_unknown_email_read_the_same_and_sign_nobody_in(outbox):
    await outbox.account("ana@agency.example")
    async with outbox.browser() as someone:
        wrong = await someone.sign_in("ana@agency.example", "not the password")
        unknown = await someone.sign_in("nobody@agency.example")
        for answer in (wrong, unknown):
            assert answer.status_code == 401
            assert "The email or the password is wrong." in answer.text
        assert (await someone.get("/outbox/")).status_code == 303  # still to the sign-in page
    async with outbox.stack.db.session() as session:
        assert (await session.exec(select(StaffSession))).all() == []


async def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(outbox):
    await outbox.account("ana@agency.example")
    async with outbox.browser() as guesser:
        for _ in range(staff.MAX_FAILED_SIGNINS):
            assert (await guesser.sign_in("ana@agency.example", "guess")).status_code == 401
        locked = await guesser.sign_in("ana@agency.example", PASSWORD)
        unknown = await guesser.sign_in("nobody@agency.example", PASSWORD)
    # Locked reads as an unknown email does: "locked" would tell that the email has an account.
    assert locked.status_code == unknown.status_code == 401
    assert refusal(locked) == refusal(unknown) == "The email or the password is wrong."
    async with outbox.stack.db.session() as session:
        account = (await session.exec(select(StaffAccount))).one()
    assert account.locked_until > datetime.now(UTC)


def refusal(page) -> str:
    return re.search(r'class="error"[^>]*>\s*([^<]*?)\s*<', page.text).group(1)


async def test_an_address_trying_too_often_is_refused_even_the_right_password_and_others_are_not(outbox,
                                                                                                    monkeypatch):
    monkeypatch.setattr(staff, "MAX_ATTEMPTS_PER_CLIENT", 3)
    for email in ("ana@agency.example", "bob@agency.example"):
        await outbox.account(email)
    async with outbox.browser("203.0.113.7") as guesser:
        for email in ("ana@agency.example", "bob@agency.example", "eve@agency.example"):
            assert (await guesser.sign_in(email, "Winter2026!")).status_code == 401
        refused = await guesser.sign_in("ana@agency.example")
        link = await guesser.submit("/outbox/signin", "/outbox/signin/link", email="ana@agency.example")
        for answer in (refused, link):
            assert answer.status_code == 429 and 0 < int(answer.headers["retry-after"]) <= 15 * 60
            assert "Too many sign-in attempts from your network. Try again in 15 minutes." in answer.text
        assert outbox.stack.sent() == []  # no link went
    async with outbox.browser("198.51.100.4") as colleague:
        assert (await colleague.sign_in("bob@agency.example")).status_code == 303
    async with outbox.stack.db.session() as session:  # a quarter of an hour later
        await session.exec(update(SignInThrottle).values(window_start=datetime.now(UTC) - timedelta(minutes=15)))
        [account] = (await session.exec(select(StaffAccount).where(StaffAccount.email == "ana@agency.example"))).all()
    assert account.failed_signins == 1  # the refused attempts never reached the password check
    async with outbox.browser("203.0.113.7") as guesser:
        assert (await guesser.sign_in("ana@agency.example")).status_code == 303


async def test_x_forwarded_for_names_the_client_only_from_a_trusted_proxy(outbox, settings):
    """Over a real socket (uvicorn as `relance api` sets it up): a local process sending X-Forwarded-For
    is still counted as itself, unless RELANCE_TRUSTED_PROXIES names it."""
    counted = {}
    for trusted in ("", "127.0.0.1"):
        port = free_port()
        config = api_cli.server_config(outbox.app, replace(settings, trusted_proxies=trusted), "127.0.0.1", port)
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:
                await asyncio.sleep(0.05)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                browser = Browser(http)
                token = CSRF.search((await browser.get("/outbox/signin")).text).group(1)
                await http.post("/outbox/signin", data={"csrf": token, "email": "a@b.example", "password": "x"},
                                headers={"X-Forwarded-For": "203.0.113.9"})
        finally:
            server.should_exit = True
            await serving
        async with outbox.stack.db.session() as session:
            counted[trusted] = sorted((await session.exec(select(SignInThrottle.client))).all())
            await session.exec(delete(SignInThrottle))
    assert counted == {"": ["127.0.0.1"], "127.0.0.1": ["203.0.113.9"]}


async def test_a_form_without_the_pages_csrf_token_is_refused_and_does_nothing(outbox):
    await outbox.account("ana@agency.example")
    async with outbox.browser() as victim:
        await victim.get("/outbox/signin")  # has a cookie, but the form comes from elsewhere
        forged = await victim.http.post("/outbox/signin", data={"email": "ana@agency.example", "password": PASSWORD})
        other = await victim.http.post("/outbox/signin", data={"csrf": "0" * 64, "email": "ana@agency.example",
                                                                "password": PASSWORD})
    for answer in (forged, other):
        assert answer.status_code == 403
        assert "did not come from this outbox" in answer.text
    async with outbox.stack.db.session() as session:
        assert (await session.exec(select(StaffSession))).all() == []


async def test_a_tampered_session_cookie_is_no_session(outbox):
    await outbox.agencies(nord=["ana@agency.example"])
    await outbox.account("ana@agency.example")
    async with outbox.browser() as ana:
        await ana.sign_in("ana@agency.example")
        value = ana.http.cookies[COOKIE]
        ana.http.cookies.clear()
        ana.http.cookies.set(COOKIE, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"), domain="relance.test")
        answer = await ana.get("/outbox/agencies/nord/closed")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/outbox/signin")


async def test_signing_out_ends_the_session_even_for_a_copy_of_the_cookie(outbox):
    await outbox.agencies(nord=["ana@agency.example"])
    await outbox.account("ana@agency.example")
    async with outbox.browser() as ana, outbox.browser() as thief:
        await ana.sign_in("ana@agency.example")
        thief.http.cookies.set(COOKIE, ana.http.cookies[COOKIE], domain="relance.test")
        assert (await thief.get("/outbox/agencies/nord/closed")).status_code == 200
        out = await ana.submit("/outbox/agencies/nord/closed", "/outbox/signout")
        assert out.status_code == 303 and out.headers["location"] == "/outbox/signin"
        assert (await thief.get("/outbox/agencies/nord/closed")).status_code == 303


async def test_a_sign_in_link_arrives_by_email_and_works_once(outbox):
    await outbox.agencies(nord=["ana@agency.example"])
    await outbox.account("ana@agency.example", password=None)
    async with outbox.browser() as ana:
        sent = await ana.submit("/outbox/signin", "/outbox/signin/link", email="ana@agency.example")
        nobody = await ana.submit("/outbox/signin", "/outbox/signin/link", email="nobody@agency.example")
        assert "a sign-in link is on its way" in sent.text and "a sign-in link is on its way" in nobody.text
        [email] = outbox.stack.sent()
        assert email["destinations"]["to"] == ["ana@agency.example"]
        assert email["source"].endswith("<nord@agency.example>")
        link = re.search(r"http://\S+(/outbox/signin/link/[\w-]+)", email["body"]).group(1)
        assert (await ana.get(link)).status_code == 200  # a page with a button: opening it uses nothing
        used = await ana.submit(link, link)
        assert used.status_code == 303 and (await ana.get("/outbox/agencies/nord/closed")).status_code == 200
    async with outbox.browser() as later:
        again = await later.submit(link, link)
    assert again.status_code == 410 and "already used or has expired" in again.text
    async with outbox.stack.db.session() as session:
        [row] = (await session.exec(select(StaffSignInLink))).all()
    assert link.rsplit("/", 1)[1] not in row.token_hash  # only its hash is kept


async def test_a_link_asked_for_while_ses_is_down_reads_the_same_and_the_next_request_sends_one(outbox, monkeypatch):
    await outbox.agencies(nord=["ana@agency.example"])
    await outbox.account("ana@agency.example", password=None)
    ses_is_down = EndpointConnectionError(endpoint_url="http://ses.invalid")
    async with outbox.browser() as ana:
        with monkeypatch.context() as patch:
            patch.setattr(outbox.stack.mailer, "send", AsyncMock(side_effect=ses_is_down))
            down = await ana.submit("/outbox/signin", "/outbox/signin/link", email="ana@agency.example")
        assert down.status_code == 200 and "a sign-in link is on its way" in down.text  # not a 500, no tell
        assert "Ask for another link" in down.text and outbox.stack.sent() == []
        again = await ana.submit("/outbox/signin", "/outbox/signin/link", email="ana@agency.example")
    assert "a sign-in link is on its way" in again.text
    assert [m["destinations"]["to"] for m in outbox.stack.sent()] == [["ana@agency.example"]]


class Stopwatch:
    """The app, noting when each answer was complete (what a person timing the page sees); work
    done after the answer does not count."""

    def __init__(self, app):
        self.app, self.answered_at = app, 0.0

    async def __call__(self, scope, receive, send):
        async def timed(message):
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.answered_at = time.monotonic()
        await self.app(scope, receive, timed)


async def test_asking_for_a_link_takes_as_long_with_an_account_as_without(outbox, monkeypatch):
    """SES made slow (half a second a send): the answer comes first, the email after it."""
    await outbox.agencies(nord=["ana@agency.example"])
    await outbox.account("ana@agency.example", password=None)
    send = outbox.stack.mailer.send

    async def slow_send(*args, **kwargs):
        await asyncio.sleep(0.5)
        return await send(*args, **kwargs)

    monkeypatch.setattr(outbox.stack.mailer, "send", slow_send)
    watch = Stopwatch(outbox.app)
    transport = httpx.ASGITransport(app=watch, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://relance.test",
                                 headers={"Accept-Language": "en"}) as http:
        browser, took = Browser(http), {}
        for email in ("ana@agency.example", "nobody@agency.example"):
            token = CSRF.search((await browser.get("/outbox/signin")).text).group(1)
            began = time.monotonic()
            answer = await http.post("/outbox/signin/link", data={"csrf": token, "email": email})
            took[email] = watch.answered_at - began
            assert "a sign-in link is on its way" in answer.text
    assert took["ana@agency.example"] < 0.4, took  # not waiting for SES
    assert [m["destinations"]["to"] for m in outbox.stack.sent()] == [["ana@agency.example"]]  # and it went


async def test_a_changed_password_signs_in_the_old_one_does_not_and_other_browsers_are_signed_out(outbox):
    await outbox.agencies(nord=["ana@agency.example"])
    new = "a much longer passphrase"
    async with outbox.signed_in("ana@agency.example") as ana, outbox.browser() as phone:
        assert (await phone.sign_in("ana@agency.example")).status_code == 303
        for current, first, second, refusal in ((PASSWORD + "?", new, new, "The current password is wrong."),
                                                (PASSWORD, "short", "short", "at least 10 characters"),
                                                (PASSWORD, new, new + "!", "The two new passwords differ.")):
            refused = await ana.submit("/outbox/account", "/outbox/account/password", current_password=current,
                                       new_password=first, repeat_password=second)
            assert refused.status_code == 422 and refusal in refused.text and "Nothing was changed." in refused.text
        changed = await ana.submit("/outbox/account", "/outbox/account/password", current_password=PASSWORD,
                                   new_password=new, repeat_password=new)
        assert changed.status_code == 303
        assert "Your password is changed." in (await ana.get(changed.headers["location"])).text
        assert (await phone.get("/outbox/")).status_code == 303  # signed out: to the sign-in page
    async with outbox.browser() as someone:
        assert (await someone.sign_in("ana@agency.example")).status_code == 401  # the old password
        assert (await someone.sign_in("ana@agency.example", new)).status_code == 303


async def test_a_link_only_account_sets_its_first_password_without_a_current_one(outbox):
    await outbox.agencies(nord=["ana@agency.example"])
    await outbox.account("ana@agency.example", password=None)
    async with outbox.browser() as ana:
        await ana.submit("/outbox/signin", "/outbox/signin/link", email="ana@agency.example")
        [email] = outbox.stack.sent()
        link = re.search(r"http://\S+(/outbox/signin/link/[\w-]+)", email["body"]).group(1)
        assert (await ana.submit(link, link)).status_code == 303
        page = await ana.get("/outbox/account")
        assert "Set a password" in page.text and "current_password" not in page.text
        assert (await ana.submit("/outbox/account", "/outbox/account/password", new_password=PASSWORD,
                                 repeat_password=PASSWORD)).status_code == 303
    async with outbox.browser() as later:
        assert (await later.sign_in("ana@agency.example")).status_code == 303


def test_relance_stores_passwords_as_argon2id_with_the_librarys_strong_defaults():
    assert STORED_BY_RELANCE.hash(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


async def test_the_command_line_makes_accounts_and_refuses_a_short_password_or_a_second_account(outbox):
    account = await outbox.account("ana@agency.example")
    assert account.password_hash.startswith("$argon2id$")
    for email, password, field in (("bob@agency.example", "short", "at least 10 characters"),
                                   ("ANA@agency.example", PASSWORD, "already has an account"),
                                   ("not an email", PASSWORD, "is not an email address")):
        try:
            await outbox.account(email, password)
        except staff.StaffError as refusal:
            assert field in str(refusal)
        else:
            raise AssertionError(f"{email} was accepted")


async def test_an_expired_link_or_session_signs_nobody_in(outbox):
    await outbox.agencies(nord=["ana@agency.example"])
    await outbox.account("ana@agency.example")
    link = await staff.make_link(outbox.stack.db, "ana@agency.example", datetime.now(UTC))
    async with outbox.stack.db.session() as session:
        await session.exec(update(StaffSignInLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    async with outbox.browser() as ana:
        path = f"/outbox/signin/link/{link.token}"
        assert (await ana.submit(path, path)).status_code == 410
        await ana.sign_in("ana@agency.example")
        assert (await ana.get("/outbox/agencies/nord/closed")).status_code == 200
        async with outbox.stack.db.session() as session:
            await session.exec(update(StaffSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        assert (await ana.get("/outbox/agencies/nord/closed")).status_code == 303
