"""Signing in to the outbox (a password, or a one-time link sent by email) and signing out.

The answers never tell whether an email has an account: a wrong email, a wrong password and a
locked account read the same, and "a link is on its way" is said for any address, as fast (the link
is made and emailed after the answer)."""

from __future__ import annotations

from datetime import UTC, datetime
from math import ceil

import structlog
from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response

from models import About
from relance import i18n, staff
from relance.api.services import Services, services
from relance.email import ledger
from relance.email.mailer import OutgoingEmail
from relance.email.rendering import html_of, single_line
from relance.email.sending import send_once
from relance.i18n import N_
from relance.web.pages import page, safe_next, see_other
from relance.web.session import PATH, Refused, Visitor, anonymous, form, visitor
from starter.agency import agencies_of

router = APIRouter(prefix=PATH, include_in_schema=False)
log = structlog.get_logger("relance.web")
LINK_MINUTES = int(staff.LINK_LIFETIME.total_seconds() // 60)


@router.get("/signin")
async def signin_form(request: Request, next: str | None = None, you: Visitor = Depends(visitor)):
    return page(request, you, "signin.html", next=safe_next(next), email="", error="")


@router.post("/signin")
async def signin(request: Request, you: Visitor = Depends(visitor), svc: Services = Depends(services)):
    fields = await form(request, you, svc.settings.web_secret)
    email, target = fields.get("email", ""), safe_next(fields.get("next"))
    if refused := await _refused_if_too_many(request, you, svc, next=target, email=email):
        return refused
    outcome = await staff.sign_in_with_password(svc.db, email, fields.get("password", ""), datetime.now(UTC))
    if outcome.account is None:
        log.info("outbox sign-in refused")
        return page(request, you, "signin.html", status=401, next=target, email=email,
                    error=i18n.gettext_in(you.language)(outcome.refusal))
    return await _signed_in(request, svc, outcome.account.id, target)


@router.post("/signin/link")
async def send_link(request: Request, background: BackgroundTasks, you: Visitor = Depends(visitor),
                    svc: Services = Depends(services)):
    fields = await form(request, you, svc.settings.web_secret)
    email = fields.get("email", "").strip()
    if refused := await _refused_if_too_many(request, you, svc, next=PATH + "/", email=""):
        return refused
    # After the answer: a request for an address with an account would otherwise take longer (the
    # link made, the email sent) and tell that the account exists.
    background.add_task(_make_and_email_link, svc, email)
    return page(request, you, "link_sent.html", email=email, minutes=LINK_MINUTES)


@router.get("/signin/link/{token}")
async def link_form(request: Request, token: str, you: Visitor = Depends(visitor)):
    """A page with a button, not a sign-in on GET: mail scanners that fetch links would use it up."""
    return page(request, you, "link_confirm.html", token=token)


@router.post("/signin/link/{token}")
async def use_link(request: Request, token: str, you: Visitor = Depends(visitor), svc: Services = Depends(services)):
    await form(request, you, svc.settings.web_secret)
    account = await staff.use_link(svc.db, token, datetime.now(UTC))
    if account is None:
        raise Refused(410, N_("This sign-in link was already used or has expired. Ask for a new one on the sign-in "
                              "page."))
    return await _signed_in(request, svc, account.id, PATH + "/")


@router.post("/signout")
async def signout(request: Request, you: Visitor = Depends(visitor), svc: Services = Depends(services)):
    await form(request, you, svc.settings.web_secret)
    await staff.close_session(svc.db, you.key)
    log.info("outbox sign-out", account_id=you.account.id if you.account else None)
    return see_other(request, anonymous(request), PATH + "/signin")


async def _refused_if_too_many(request: Request, you: Visitor, svc: Services, **form_back) -> Response | None:
    """Counts this attempt against its network address; past the cap, the sign-in page again saying
    how long to wait. Behind a proxy, uvicorn gives the person's address (X-Forwarded-For, from the proxies
    RELANCE_TRUSTED_PROXIES names; relance.cli.api)."""
    client = request.client.host if request.client else "unknown"
    wait = await staff.client_may_try(svc.db, client, datetime.now(UTC))
    if wait is None:
        return None
    log.warning("outbox sign-in refused: too many attempts from one address", client=client)
    seconds = max(1, ceil(wait.total_seconds()))
    minutes = ceil(seconds / 60)
    ngettext = i18n.ngettext_in(you.language)
    error = ngettext("Too many sign-in attempts from your network. Try again in a minute.",
                     "Too many sign-in attempts from your network. Try again in %(num)s minutes.", minutes)
    response = page(request, you, "signin.html", status=429, error=error, **form_back)
    response.headers["Retry-After"] = str(seconds)
    return response


async def _signed_in(request: Request, svc: Services, account_id: int, target: str):
    key = await staff.open_session(svc.db, account_id, datetime.now(UTC))
    log.info("outbox sign-in", account_id=account_id)
    return see_other(request, Visitor(key, new_cookie=True), target)


async def _make_and_email_link(svc: Services, email: str) -> None:
    made = await staff.make_link(svc.db, email, datetime.now(UTC))
    if made is None:
        return
    try:
        await _email_link(svc, made)
    except Exception:  # SES down or unreachable: the claim is released, the person can ask again
        log.exception("outbox sign-in link not sent: SES failed", account_id=made.account.id)


async def _email_link(svc: Services, link: staff.Link) -> None:
    """From the sender of the person's first agency (a verified address): no agency, no link. In the
    person's language (their choice, else that agency's)."""
    account = link.account
    agencies = await agencies_of(svc.db, link.org_slug, account.email)
    if not agencies:
        log.info("outbox sign-in link not sent: no agency", account_id=account.id)
        return
    agency = agencies[0]
    url = f"{svc.settings.public_base_url}{PATH}/signin/link/{link.token}"
    _ = i18n.gettext_in(staff.reading_language(account, agency.language))
    text = _("Hello,\n\nTo sign in to the %(agency)s outbox, open this link within %(minutes)s minutes:\n\n"
             "%(url)s\n\nIt works once. If you did not ask for it, ignore this email.\n",
             agency=agency.name, minutes=LINK_MINUTES, url=url)
    email = OutgoingEmail(sender_address=agency.sender_email, sender_name=agency.from_name, to=account.email,
                          subject=single_line(_("Your sign-in link to the %(agency)s outbox", agency=agency.name)),
                          text=text, html=html_of(text))
    # Through the send-once ledger like every email, keyed by the link: it goes at most once.
    result = await send_once(svc.db, svc.mailer, f"outbox-signin:{staff.digest(link.token)}", email,
                             ledger.Source(account.org_id, "outbox-signin", About("user", account.email)),
                             datetime.now(UTC))
    log.info("outbox sign-in link", account_id=account.id, status=result.status, reason=result.reason)
