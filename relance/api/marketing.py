"""Marketing: enrol a contact (or every contact with a tag, or of an account) in a marketing scenario,
remove one, a contact's consent and enrolments, an opt-out recorded by the host; and the unsubscribe
link of every marketing email, /u/{token}, which needs no API key (its token is signed)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from html import escape
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, model_validator

from relance import calendar
from relance.api.auth import organisation
from relance.api.contract import STEP_NUMBER, ContractRoute, StrictBody, numbered
from relance.api.heavy import heavy_requests
from relance.api.problems import documented
from relance.api.references import looked_up, with_field_problems
from relance.api.services import Services, services
from relance.marketing.consent import BadToken, Links, read_token
from relance.marketing.preview import preview_enrolment
from relance.marketing.types import OptOutVia
from relance.scenario.preview import PreviewStep
from starter import marketing

router = APIRouter(prefix="/v1", tags=["marketing"], responses=documented(401, 403, 404, 422),
                   route_class=ContractRoute)
unsubscribe_router = APIRouter(include_in_schema=False)  # followed by people and mail clients, not the host
Key = Annotated[str, Path(min_length=1, max_length=200)]


class EnrolBody(StrictBody):
    """One contact, or a batch: the contacts with a tag, or those of an account."""

    contact: str | None = Field(default=None, min_length=1, max_length=200)
    tag: str | None = Field(default=None, min_length=1, max_length=200)
    account: str | None = Field(default=None, min_length=1, max_length=200)
    by: str = Field(default="api", min_length=1, max_length=200, description="who enrols (recorded)")

    @model_validator(mode="after")
    def _one_target(self) -> EnrolBody:
        given = [name for name in ("contact", "tag", "account") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of contact, tag, account (got {', '.join(given) or 'none'})")
        return self


class EnrolmentOut(BaseModel):
    contact: str
    outcome: str = Field(description="started, or the no-op and why: already_running, finished_no_reentry, "
                                     "refused_opted_out, refused_contact_deleted, refused_scenario_switched_off")
    workflow_id: str


class EnrolOut(BaseModel):
    total: int
    outcomes: dict[str, int]
    enrolments: list[EnrolmentOut]


async def _enrolment_references(svc: Services, org: str, path: dict, raw: dict) -> list[str]:
    return await marketing.reference_problems(svc.db, org, path["scenario"], contact_ref=looked_up(raw, "contact"),
                                              account_ref=looked_up(raw, "account"))


@router.post("/marketing/scenarios/{scenario}/enrolments", response_model=EnrolOut,
             dependencies=[with_field_problems(EnrolBody, _enrolment_references)])
async def enrol(scenario: Key, body: EnrolBody, response: Response, org: str = Depends(organisation),
                svc: Services = Depends(services)) -> EnrolOut:
    """Enrol; a contact already running, or refused, is a no-op the answer names (201 when any started)."""
    client, lines = await svc.client(), []
    if body.contact is not None:
        lines.append(await marketing.enrol(client, svc.db, svc.settings.task_queue, org, scenario, body.contact,
                                           body.by))
    else:
        await marketing.enrol_batch(client, svc.db, svc.settings.task_queue, org, scenario, body.by, tag=body.tag,
                                    account_ref=body.account, progress=lambda n, total, line: lines.append(line))
    outcomes: dict[str, int] = {}
    for line in lines:
        outcomes[line.outcome] = outcomes.get(line.outcome, 0) + 1
    response.status_code = 201 if any(line.started for line in lines) else 200
    return EnrolOut(total=len(lines), outcomes=outcomes, enrolments=[
        EnrolmentOut(contact=line.contact_ref, outcome=line.outcome, workflow_id=line.workflow_id) for line in lines])


class RemovalBody(StrictBody):
    by: str = Field(min_length=1, max_length=200, description="who removes the contact")
    reason: str = Field(min_length=1, max_length=500)


class RemovalOut(BaseModel):
    detail: str


@router.post("/marketing/scenarios/{scenario}/enrolments/{contact}/removal", response_model=RemovalOut)
async def remove(scenario: Key, contact: Key, body: RemovalBody, org: str = Depends(organisation),
                 svc: Services = Depends(services)) -> RemovalOut:
    """End the contact's run in the scenario now, recorded with who and why."""
    return RemovalOut(detail=await marketing.remove(await svc.client(), org, scenario, contact, body.by, body.reason))


class PreviewOut(BaseModel):
    scenario: str
    version: int = Field(description="the scenario version an enrolment now would keep")
    contact: str
    refused: str | None = Field(description="why enrolling now would be refused (nothing goes out), else null")
    steps: list[PreviewStep] = Field(description="each email and action step: when (organisation's zone), from "
                                                 "whom, to whom, subject and body, or why it would not be sent")


@router.get("/marketing/scenarios/{scenario}/preview", response_model=PreviewOut)
async def preview(scenario: Key, contact: Annotated[str, Query(min_length=1, max_length=200)], request: Request,
                  org: str = Depends(organisation), svc: Services = Depends(services)) -> PreviewOut:
    """What the contact would receive if enrolled now, step by step; nothing is sent or recorded. Rendered
    off the event loop (relance.api.heavy)."""
    links = Links(svc.settings.public_base_url, svc.settings.unsubscribe_secret)
    p = await heavy_requests(request).run(org, svc.db.url, lambda db: preview_enrolment(
        db, svc.mailer, links, org, scenario, contact, datetime.now(UTC)), wait=True)
    return PreviewOut(scenario=p.scenario_key, version=p.scenario_version, contact=p.contact_ref, refused=p.refused,
                      steps=p.steps)


class ActivationBody(StrictBody):
    enabled: bool


class ActivationOut(BaseModel):
    scenario: str
    enabled: bool
    woken: int = Field(description="running enrolments told to re-check now: switched off, they exit at once")


@router.put("/marketing/scenarios/{scenario}/activation", response_model=ActivationOut)
async def set_activation(scenario: Key, body: ActivationBody, org: str = Depends(organisation),
                         svc: Services = Depends(services)) -> ActivationOut:
    """Switch a marketing scenario on or off; off, its running enrolments exit at once (scenario_switched_off)."""
    woken = await marketing.set_scenario_activation(await svc.client(), svc.db, org, scenario, body.enabled)
    return ActivationOut(scenario=scenario, enabled=body.enabled, woken=woken)


class ConsentOut(BaseModel):
    opted_out: bool
    opted_out_at: datetime | None
    opted_out_via: str | None = Field(description="link, one_click, import or api")


class ContactEnrolmentOut(BaseModel):
    workflow_id: str
    scenario: str
    state: str
    step_number: int | None = Field(description=STEP_NUMBER)
    emails_sent: int
    enrolled_by: str
    started_at: datetime
    ended_at: datetime | None
    exit_reason: str | None
    exit_detail: str | None


class ContactMarketingOut(BaseModel):
    contact: str
    tags: list[str]
    consent: ConsentOut
    enrolments: list[ContactEnrolmentOut]


@router.get("/contacts/{contact}/marketing", response_model=ContactMarketingOut)
async def show(contact: Key, org: str = Depends(organisation),
               svc: Services = Depends(services)) -> ContactMarketingOut:
    """A contact's tags, consent and marketing enrolments (newest first), times in the organisation's zone."""
    report = await marketing.show(svc.client, svc.db, org, contact)
    c, tz = report.contact, report.timezone
    local = partial(calendar.in_zone_or_none, tz=tz)

    return ContactMarketingOut(
        contact=c.ref, tags=c.tags,
        consent=ConsentOut(opted_out=c.opted_out, opted_out_at=local(c.opted_out_at), opted_out_via=c.opted_out_via),
        enrolments=[ContactEnrolmentOut(
            workflow_id=r.workflow_id, scenario=r.scenario_key, state=r.state,
            step_number=numbered(line.live.step_position if line.live else r.current_step),
            emails_sent=line.live.emails_sent if line.live else r.emails_sent, enrolled_by=r.enrolled_by,
            started_at=local(r.started_at), ended_at=local(r.ended_at), exit_reason=r.exit_reason,
            exit_detail=r.exit_detail) for line in report.enrolments for r in [line.row]])


class OptOutOut(BaseModel):
    contact: str
    recorded: bool = Field(description="false when the contact had opted out already (the first opt-out stays)")


@router.post("/contacts/{contact}/opt-out", response_model=OptOutOut)
async def opt_out(contact: Key, org: str = Depends(organisation), svc: Services = Depends(services)) -> OptOutOut:
    """The contact opted out with the host: recorded (via api), and its marketing runs end."""
    recorded = await marketing.opt_out(await svc.client(), svc.db, org, contact, OptOutVia.API, datetime.now(UTC))
    return OptOutOut(contact=contact, recorded=recorded)


class CampaignBody(StrictBody):
    """A draft: a template (checked against marketing's merge fields) to one audience."""

    name: str = Field(min_length=1, max_length=200)
    template: str = Field(min_length=1, max_length=200)
    tag: str | None = Field(default=None, min_length=1, max_length=200)
    account: str | None = Field(default=None, min_length=1, max_length=200)
    contact: str | None = Field(default=None, min_length=1, max_length=200)
    sender: str | None = Field(default=None, max_length=320, description="a user's address; default: the "
                                                                          "organisation's sender")
    by: str = Field(default="api", min_length=1, max_length=200)


class CampaignOut(BaseModel):
    key: str
    name: str
    state: str = Field(description="draft, scheduled, sending, finished or cancelled")
    counts: dict[str, int] = Field(description="recipients by state: pending, sent, skipped, failed, cancelled, "
                                                             "uncertain")
    cancelled: str | None = None


class RecipientOut(BaseModel):
    contact: str
    state: str
    reason: str | None
    recipient: str | None
    provider_message_id: str | None


async def _campaign_references(svc: Services, org: str, path: dict, raw: dict) -> list[str]:
    names = {"template_key": "template", "sender": "sender", "account_ref": "account", "contact_ref": "contact"}
    return await marketing.reference_problems(svc.db, org, campaign={
        "key": path["campaign"], **{argument: looked_up(raw, name) for argument, name in names.items()}})


@router.put("/marketing/campaigns/{campaign}", response_model=CampaignOut,
            dependencies=[with_field_problems(CampaignBody, _campaign_references)])
async def put_campaign(campaign: Key, body: CampaignBody, org: str = Depends(organisation),
                       svc: Services = Depends(services)) -> CampaignOut:
    """Create or change a draft (a launched campaign cannot change)."""
    c = await marketing.create_campaign(svc.db, org, campaign, body.name, body.template, body.by, tag=body.tag,
                                        account_ref=body.account, contact_ref=body.contact, sender=body.sender)
    return CampaignOut(key=c.key, name=c.name, state=c.state, counts={})


class LaunchBody(StrictBody):
    at: datetime | None = Field(default=None, description="ISO date-time with offset; default: now")
    by: str = Field(default="api", min_length=1, max_length=200)


@router.post("/marketing/campaigns/{campaign}/launch", response_model=CampaignOut)
async def launch_campaign(campaign: Key, body: LaunchBody, org: str = Depends(organisation),
                          svc: Services = Depends(services)) -> CampaignOut:
    """Launch the draft now or at `at`: one durable run sends it once per recipient."""
    if body.at is not None and body.at.tzinfo is None:
        raise ValueError("field at: give the offset (e.g. 2026-12-01T09:00:00+01:00)")
    await marketing.launch_campaign(await svc.client(), svc.db, svc.settings.task_queue, org, campaign, body.by,
                                    body.at)
    return await get_campaign(campaign, org, svc)


@router.post("/marketing/campaigns/{campaign}/cancel", response_model=CampaignOut)
async def cancel_campaign(campaign: Key, body: RemovalBody, org: str = Depends(organisation),
                          svc: Services = Depends(services)) -> CampaignOut:
    """Stop the campaign: what is not sent yet is not sent."""
    await marketing.cancel_campaign(await svc.client(), org, campaign, body.by, body.reason)
    return await get_campaign(campaign, org, svc)


@router.post("/marketing/campaigns/{campaign}/recipients/{contact}/retry", response_model=CampaignOut)
async def retry_recipient(campaign: Key, contact: Key, org: str = Depends(organisation),
                          svc: Services = Depends(services)) -> CampaignOut:
    """Send a failed recipient's email again, alone (answers once it is settled)."""
    handle = await marketing.retry_recipient(await svc.client(), svc.db, svc.settings.task_queue, org, campaign,
                                             contact)
    await handle.result()
    return await get_campaign(campaign, org, svc)


@router.get("/marketing/campaigns/{campaign}", response_model=CampaignOut)
async def get_campaign(campaign: Key, org: str = Depends(organisation),
                       svc: Services = Depends(services)) -> CampaignOut:
    report = await marketing.campaign_report(svc.db, org, campaign)
    c = report.campaign
    return CampaignOut(key=c.key, name=c.name, state=c.state, counts=report.counts, cancelled=c.cancelled_detail)


@router.get("/marketing/campaigns/{campaign}/recipients", response_model=list[RecipientOut])
async def get_recipients(campaign: Key, org: str = Depends(organisation),
                         svc: Services = Depends(services)) -> list[RecipientOut]:
    """Each recipient's record: sent (with the provider's id), skipped and why, failed, cancelled."""
    report = await marketing.campaign_report(svc.db, org, campaign)
    return [RecipientOut(contact=ref, state=r.state, reason=r.reason, recipient=r.recipient,
                         provider_message_id=r.provider_message_id) for r, ref in report.recipients]


_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 3em auto"><h1>{title}</h1>{body}</body></html>"""


# The page holds a secret link and one button: never in another site's frame (clickjacking), cache or Referer.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status, headers=_PAGE_HEADERS)


@unsubscribe_router.get("/u/{token}")
async def unsubscribe_page(token: str, svc: Services = Depends(services)) -> HTMLResponse:
    """The link in the email: a page with one button. Following a link changes nothing by itself (mail
    scanners follow links); the button's POST does."""
    try:
        read_token(svc.settings.unsubscribe_secret, token)
    except BadToken as exc:
        return _page("Lien invalide / invalid link", f"<p>{escape(str(exc))}</p>", 400)
    return _page("Se désinscrire / Unsubscribe",
                 '<p>Ne plus recevoir nos emails marketing ? / Stop receiving our marketing emails?</p>'
                 f'<form method="post" action="/u/{escape(token)}"><button type="submit" name="confirm" value="yes">'
                 "Me désinscrire / Unsubscribe me</button></form>")


@unsubscribe_router.post("/u/{token}")
async def unsubscribe(token: str, request: Request, svc: Services = Depends(services)) -> HTMLResponse:
    """The page's button, or a mail client's RFC 8058 one-click POST (List-Unsubscribe=One-Click)."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    via = OptOutVia.ONE_CLICK if form.get("List-Unsubscribe") == ["One-Click"] else OptOutVia.LINK
    try:
        await marketing.unsubscribe(await svc.client(), svc.db, svc.settings.unsubscribe_secret, token, via,
                                    datetime.now(UTC))
    except BadToken as exc:
        return _page("Lien invalide / invalid link", f"<p>{escape(str(exc))}</p>", 400)
    return _page("Désinscription enregistrée / Unsubscribed",
                 "<p>Vous ne recevrez plus nos emails marketing. / You will receive no more marketing emails.</p>")
