"""Applying one event to the opportunity, in one transaction: the first write dedupes it, the
transitions are derived from the state relance knew, the state is changed, and the automations its
rules call for (as the rules were when it was reported) are planned and kept with it. A retried or
redelivered event finds its plan: each automation then runs at most once whatever is replayed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AutomationRun, OpportunityAction, PipelineEvent, Quote
from relance.pipeline import repository, rules
from relance.pipeline.ids import automation_key
from relance.pipeline.repository import OpportunityFile
from relance.pipeline.types import AutomationState, EventKind, EventPlan, OppEvent, PlannedAutomation

_RUNS = AutomationRun.__table__
SETTLED = (AutomationState.DONE, AutomationState.FAILED, AutomationState.STOPPED)


async def apply(session: AsyncSession, org_slug: str, opportunity_ref: str, event: OppEvent,
                now: datetime) -> EventPlan:
    file = await repository.opportunity_file(session, org_slug, opportunity_ref, lock=True)
    opp = file.opportunity
    known = (await session.exec(select(PipelineEvent).where(PipelineEvent.opportunity_id == opp.id,
                                                            PipelineEvent.event_id == event.event_id))).first()
    if known is not None:
        plan = [PlannedAutomation(**p) for p in known.plan]
        return EventPlan(await _all_settled(session, plan), known.transitions, plan, opp.stage_key, opp.result)
    before = await before_event(session, file, event)
    found = rules.transitions(before, event)
    await _change(session, file, event, now)
    plan = await _plan(session, file, event, found)
    session.add(PipelineEvent(org_id=file.org.id, opportunity_id=opp.id, event_id=event.event_id, kind=event.kind,
                              body=event.changes, cause=event.cause, transitions=[str(t) for t in found],
                              plan=[vars(p) for p in plan], rules_upto=event.rules_upto, handled_at=now))
    stopped = [p for p in plan if p.stopped]
    if stopped:
        await session.exec(insert(_RUNS).values([dict(
            idem_key=p.idem_key, org_id=file.org.id, opportunity_id=opp.id, event_id=p.event_id, rule_id=p.rule_id,
            position=p.position, kind=p.kind, state=AutomationState.STOPPED, detail=p.stopped, attempts=0,
            settled_at=now) for p in stopped]).on_conflict_do_nothing())
    return EventPlan(False, [str(t) for t in found], plan, opp.stage_key, opp.result)


async def _all_settled(session: AsyncSession, plan: list[PlannedAutomation]) -> bool:
    """A redelivered event whose automations all settled: nothing left to do (a duplicate)."""
    if not plan:
        return True
    states = (await session.exec(select(AutomationRun.state).where(
        col(AutomationRun.idem_key).in_([p.idem_key for p in plan])))).all()
    return len(states) == len(plan) and all(s in SETTLED for s in states)


async def _quote(session: AsyncSession, opportunity_id: int, ref: str) -> Quote | None:
    return (await session.exec(select(Quote).where(Quote.opportunity_id == opportunity_id, Quote.ref == ref))).first()


async def _action(session: AsyncSession, opportunity_id: int, ref: str) -> OpportunityAction | None:
    return (await session.exec(select(OpportunityAction).where(OpportunityAction.opportunity_id == opportunity_id,
                                                               OpportunityAction.ref == ref))).first()


async def before_event(session: AsyncSession, file: OpportunityFile, event: OppEvent) -> rules.Before:
    """What relance knew before the event (also the dry run's starting point)."""
    opp, c = file.opportunity, event.changes
    quote = await _quote(session, opp.id, c["quote"]) if event.kind == EventKind.QUOTE else None
    action = await _action(session, opp.id, c["action"]) if event.kind == EventKind.ACTION else None
    # An action an automation created is new to the rules: its event is its creation.
    action_state = None if c.get("created_by_automation") else action.state if action else None
    return rules.Before(opp.stage_key, opp.result, quote.state if quote else None, action_state)


async def _change(session: AsyncSession, file: OpportunityFile, event: OppEvent, now: datetime) -> None:
    opp, c = file.opportunity, event.changes
    if event.kind == EventKind.OPPORTUNITY:
        opp.stage_key = c.get("stage", opp.stage_key)
        opp.result = c.get("result", opp.result)
        if "assigned_user_id" in c:
            opp.assigned_user_id = int(c["assigned_user_id"])
        if "amount" in c:
            opp.amount = Decimal(c["amount"])
        session.add(opp)
    elif event.kind == EventKind.QUOTE:
        quote = await _quote(session, opp.id, c["quote"]) or Quote(opportunity_id=opp.id, ref=c["quote"], state="")
        quote.state = c["quote_state"]
        session.add(quote)
    else:
        action = await _action(session, opp.id, c["action"]) or OpportunityAction(
            org_id=file.org.id, opportunity_id=opp.id, ref=c["action"], type_key=c["action_type"],
            title=c.get("title", ""), created_at=now)
        action.state = c.get("action_state", action.state)
        if c.get("title"):
            action.title = c["title"]
        if c.get("due_on"):
            action.due_on = date.fromisoformat(c["due_on"])
        session.add(action)
    await session.flush()


async def _plan(session: AsyncSession, file: OpportunityFile, event: OppEvent,
                found: list[rules.Transition]) -> list[PlannedAutomation]:
    """The automations of every switched-on rule (as it was at the event) a transition fires, in rule
    then automation order; a loop's are planned stopped, with why."""
    if not found:
        return []
    plan = []
    for rule in await repository.rules_as_of(session, file.process.id, event.rules_upto):
        if not rule.enabled or not any(rules.matches(rule.trigger, t) for t in found):
            continue
        stop = rules.loop_stop(rule.key, event.cause)
        plan += [PlannedAutomation(
            idem_key=automation_key(rule.id, event.event_id, position), rule_id=rule.id, rule_key=rule.key,
            rule_version=rule.version, position=position, kind=a["do"], label=rules.describe(a),
            event_id=event.event_id, cause=event.cause, stopped=stop) for position, a in enumerate(rule.automations)]
    return plan
