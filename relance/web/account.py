"""The signed-in person's account page: the agencies they see, the language they read relance in, and
their password to set or change. Changing it ends their other sessions, so a password changed after a
leak shuts out whoever had it."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from fastapi import APIRouter, Depends, Request

from relance import i18n, staff
from relance.api.services import Services, services
from relance.i18n import N_
from relance.web.pages import page, see_other
from relance.web.session import PATH, Refused, Visitor, form, signed_in
from starter import agency as agency_starter

router = APIRouter(prefix=PATH, include_in_schema=False)
log = structlog.get_logger("relance.web")


@router.get("/account")
async def account(request: Request, saved: str = "", you: Visitor = Depends(signed_in),
                  svc: Services = Depends(services)):
    return await _account_page(request, you, svc, saved=saved, error="")


@router.post("/account/password")
async def change_password(request: Request, you: Visitor = Depends(signed_in), svc: Services = Depends(services)):
    fields = await form(request, you, svc.settings.web_secret)
    new = fields.get("new_password", "")
    refusal = N_("The two new passwords differ.") if new != fields.get("repeat_password", "") else (
        await staff.change_password(svc.db, you.account.id, fields.get("current_password", ""), new, you.key,
                                    datetime.now(UTC)))
    if refusal:
        log.info("outbox password not changed", account_id=you.account.id)
        error = i18n.gettext_in(you.language)(refusal, minimum=staff.MIN_PASSWORD_LENGTH)
        return await _account_page(request, you, svc, status=422, saved="", error=error)
    log.info("outbox password changed", account_id=you.account.id)
    return see_other(request, you, f"{PATH}/account?saved=password")


@router.post("/account/language")
async def change_language(request: Request, you: Visitor = Depends(signed_in), svc: Services = Depends(services)):
    """The pages from the next one on, and the emails relance sends the person, are in this language."""
    fields = await form(request, you, svc.settings.web_secret)
    language = fields.get("language", "")
    if language not in i18n.LANGUAGES:
        raise Refused(422, N_("There is no language “%(language)s”: choose French or English."), language=language)
    await staff.set_language(svc.db, you.account.id, language)
    log.info("outbox language changed", account_id=you.account.id, language=language)
    return see_other(request, you, f"{PATH}/account?saved=language")


async def _account_page(request: Request, you: Visitor, svc: Services, status: int = 200, **context):
    agencies = await agency_starter.agencies_of(svc.db, you.org_slug, you.account.email)
    return page(request, you, "account.html", status=status, agencies=agencies, minimum=staff.MIN_PASSWORD_LENGTH,
                **context)
