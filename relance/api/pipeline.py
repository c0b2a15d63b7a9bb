"""The sales pipeline: report an event about an opportunity (its automations run, in order, once), a
dry run of one, an opportunity (its state, actions, feed) and its timeline, the retry of a failed
automation, the rules as they are now and switching one on or off."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from relance import calendar, repository
from relance.api.auth import organisation
from relance.api.contract import ContractRoute, StrictBody
from relance.api.problems import documented
from relance.api.references import looked_up, with_field_problems
from relance.api.services import Services, services
from relance.pipeline import reporting
from relance.pipeline.reporting import EventBody
from starter import pipeline

router = APIRouter(prefix="/v1/pipeline", tags=["pipeline"], responses=documented(401, 403, 404, 422),
                   route_class=ContractRoute)
Key = Annotated[str, Path(min_length=1, max_length=400)]


class EventOut(BaseModel):
    event_id: str
    status: str = Field(description="accepted (queued), duplicate (an id seen already) or handled (with wait)")
    outcomes: list[str] = Field(description="with wait: each automation, in order, and what it did")


def _raw(body: EventBody) -> dict:
    return body.model_dump(mode="json", exclude_none=True)


async def _event_references(svc: Services, org: str, path: dict, raw: dict) -> list[str]:
    opportunity = looked_up(raw, "opportunity")
    if opportunity is None:
        return []
    async with svc.db.session() as session:
        return await reporting.reference_problems(session, org, opportunity, *(
            looked_up(raw, name) for name in ("stage", "action_type", "assigned_to")))


EVENT_REFERENCES = with_field_problems(EventBody, _event_references)


@router.post("/events", response_model=EventOut, dependencies=[EVENT_REFERENCES])
async def report(body: EventBody, response: Response, wait: bool = Query(default=False, description=(
                 "answer once the event's automations are done")), org: str = Depends(organisation),
                 svc: Services = Depends(services)) -> EventOut:
    """What happened to an opportunity: its new state, a quote sent or reopened, an action created or closed.
    relance derives the transitions (a save without a change fires nothing); 202 when queued."""
    ack = await pipeline.report_event(await svc.client(), svc.db, svc.settings.task_queue, org, _raw(body), wait=wait)
    response.status_code = 202 if ack.status == "accepted" else 200
    return EventOut(event_id=ack.event_id, status=ack.status, outcomes=ack.outcomes)


class DryRunLineOut(BaseModel):
    rule: str
    version: int
    position: int
    does: str


class ConditionOut(BaseModel):
    rule: str
    version: int
    condition: str = Field(description="in a sentence, in the organisation's language")
    held: bool | None = Field(description="null: it could not be evaluated (a field missing), so it does not hold")
    why: str = Field(description="the parts that decided, with the opportunity's values")


class DryRunOut(BaseModel):
    transitions: list[str]
    conditions: list[ConditionOut] = Field(description="each rule the transitions fire that has a condition")
    automations: list[DryRunLineOut] = Field(description="those of the rules whose condition holds, in order")


@router.post("/dry-run", response_model=DryRunOut, dependencies=[EVENT_REFERENCES])
async def dry_run(body: EventBody, org: str = Depends(organisation), svc: Services = Depends(services)) -> DryRunOut:
    """What the event would do now (the rules it fires, each automation), with no side effect."""
    result = await pipeline.dry_run(svc.db, org, _raw(body))
    return DryRunOut(transitions=result.transitions, conditions=[ConditionOut(**vars(c)) for c in result.conditions],
                     automations=[DryRunLineOut(**vars(line)) for line in result.lines if not line.stopped])


class TimelineLineOut(BaseModel):
    at: datetime | None
    kind: str = Field(description="event, condition or automation")
    text: str
    state: str = Field(description="an automation's: done, failed, stopped; a condition's: held, not held, unknown")
    key: str = Field(description="an event's id; an automation's idempotency key (retry a failed one with it)")


@router.get("/opportunities/{opportunity}/timeline", response_model=list[TimelineLineOut])
async def timeline(opportunity: Key, org: str = Depends(organisation),
                   svc: Services = Depends(services)) -> list[TimelineLineOut]:
    """Events, rules fired and automation outcomes, in order; times in the organisation's zone."""
    lines = await pipeline.timeline(svc.db, org, opportunity)
    local = partial(calendar.in_zone_or_none, tz=await repository.zone(svc.db, org))
    return [TimelineLineOut(at=local(line.at), kind=line.kind, text=line.text, state=line.state, key=line.key)
            for line in lines]


class RetryOut(BaseModel):
    detail: str


@router.post("/opportunities/{opportunity}/automations/{key}/retry", response_model=RetryOut)
async def retry(opportunity: Key, key: Key, org: str = Depends(organisation),
                svc: Services = Depends(services)) -> RetryOut:
    """Run a failed automation again (422 when it did not fail)."""
    return RetryOut(detail=await pipeline.retry_automation(await svc.client(), org, opportunity, key, "api"))


class ActionOut(BaseModel):
    ref: str
    type: str
    title: str
    assignee: str | None = Field(description="the assignee's email")
    due_on: date | None
    state: str = Field(description="open or closed")


class FeedOut(BaseModel):
    at: datetime
    text: str


class OpportunityOut(BaseModel):
    ref: str
    name: str
    process: str
    stage: str
    result: str
    assigned_to: str | None = Field(description="the salesperson's email")
    account: str | None
    contact: str | None
    tags: list[str]
    amount: Decimal | None
    actions: list[ActionOut]
    feed: list[FeedOut] = Field(description="notifications posted by automations, oldest first")


@router.get("/opportunities/{opportunity}", response_model=OpportunityOut)
async def opportunity(opportunity: Key, org: str = Depends(organisation),
                      svc: Services = Depends(services)) -> OpportunityOut:
    """The opportunity as relance knows it (its next event is compared with this), its actions and feed;
    times in the organisation's zone."""
    view = await pipeline.opportunity(svc.db, org, opportunity)
    f = view.file
    local = partial(calendar.in_zone, tz=f.org.timezone)
    return OpportunityOut(
        ref=f.opportunity.ref, name=f.opportunity.name, process=f.process.key, stage=f.opportunity.stage_key,
        result=f.opportunity.result, assigned_to=f.assigned.email if f.assigned else None,
        account=f.account.ref if f.account else None, contact=f.contact.ref if f.contact else None,
        tags=f.opportunity.tags, amount=f.opportunity.amount,
        actions=[ActionOut(ref=a.ref, type=a.type_key, title=a.title, assignee=view.assignees.get(a.assignee_user_id),
                           due_on=a.due_on, state=a.state) for a in view.actions],
        feed=[FeedOut(at=local(n.created_at), text=n.text) for n in view.feed])


class RuleOut(BaseModel):
    process: str
    key: str
    version: int = Field(description="a change is a new version; an event is handled by the versions of its time")
    name: str
    enabled: bool
    trigger: dict[str, Any]
    condition: dict[str, Any] | None = Field(description="relance.conditions grammar (and, or, not, field + op)")
    condition_text: str | None = Field(description="the condition in a sentence, in the organisation's language")
    automations: list[dict[str, Any]]
    does: list[str] = Field(description="each automation in a sentence, in the order they run")


def _rule(line: pipeline.RuleLine) -> RuleOut:
    r = line.rule
    return RuleOut(process=line.process, key=r.key, version=r.version, name=r.name, enabled=r.enabled,
                   trigger=r.trigger, condition=r.condition, condition_text=line.condition,
                   automations=r.automations, does=line.does)


@router.get("/rules", response_model=list[RuleOut])
async def rules(org: str = Depends(organisation), svc: Services = Depends(services)) -> list[RuleOut]:
    """Every rule of every process as it is now (its latest version), in the order they run."""
    return [_rule(line) for line in await pipeline.current_rules(svc.db, org)]


class ActivationBody(StrictBody):
    enabled: bool


@router.put("/processes/{process}/rules/{rule}/activation", response_model=RuleOut)
async def switch(process: Key, rule: Key, body: ActivationBody, org: str = Depends(organisation),
                 svc: Services = Depends(services)) -> RuleOut:
    """Switch a rule on or off: a new version, so events reported before are handled as they were; the
    next import sets it as its file says."""
    return _rule(await pipeline.switch_rule(svc.db, org, process, rule, body.enabled))
