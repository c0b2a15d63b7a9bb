"""Applying one event to the opportunity, in one transaction: the first write dedupes it, the
transitions are derived from the state relance knew, the state is changed, and the automations its
rules call for (as the rules were when it was reported) are planned and kept with it. A retried or
redelivered event finds its plan: each automation then runs at most once whatever is replayed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AppUser, AutomationRun, OpportunityAction, PipelineEvent, PipelineRule, Quote
from relance import conditions
from relance.importing.format import TIME_TRIGGERS
from relance.pipeline import repository, rules
from relance.pipeline.ids import automation_key
from relance.pipeline.repository import OpportunityFile
from relance.pipeline.types import (
    CUSTOM,
    AutomationState,
    EventKind,
    EventPlan,
    Moment,
    OppEvent,
    PlannedAutomation,
    Waiting,
)

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
        return EventPlan(await _all_settled(session, plan), known.transitions, plan, opp.stage_key, opp.result,
                         await pending_moments(session, file))
    if event.kind == EventKind.TIME:  # raised by the workflow: handled by the rules as they are when it fires
        event.rules_upto = await repository.latest_rule_id(session, file.org.id)
    before = await before_event(session, file, event)
    found = await _time_transitions(session, file, event, now) if event.kind == EventKind.TIME else \
        rules.transitions(before, event)
    plan, checks, snap = await evaluate(session, file, event, before, found, now)
    session.add(PipelineEvent(org_id=file.org.id, opportunity_id=opp.id, event_id=event.event_id, kind=event.kind,
                              body=event.changes, cause=event.cause, transitions=[str(t) for t in found],
                              plan=[vars(p) for p in plan], snapshot=snap, conditions=checks,
                              rules_upto=event.rules_upto, handled_at=now))
    stopped = [p for p in plan if p.stopped]
    if stopped:
        await session.exec(insert(_RUNS).values([dict(
            idem_key=p.idem_key, org_id=file.org.id, opportunity_id=opp.id, event_id=p.event_id, rule_id=p.rule_id,
            position=p.position, kind=p.kind, state=AutomationState.STOPPED, detail=p.stopped, attempts=0,
            settled_at=now) for p in stopped]).on_conflict_do_nothing())
    await session.flush()
    return EventPlan(False, [str(t) for t in found], plan, opp.stage_key, opp.result,
                     await pending_moments(session, file))


async def pending_moments(session: AsyncSession, file: OpportunityFile) -> list[Moment]:
    """The moments of the time triggers of the process's switched-on rules (as they are now) for the
    opportunity as it is, but those already fired, soonest first: the workflow's timers."""
    opp, org = file.opportunity, file.org
    timing = rules.Timing(opp.stage_key, opp.result, opp.stage_since, opp.result_since, opp.close_on, org.timezone,
                          rules.open_days(org))
    upto = await repository.latest_rule_id(session, org.id)
    found = {}
    for rule in await repository.rules_as_of(session, file.process.id, upto):
        if rule.enabled and rule.trigger["when"] in TIME_TRIGGERS:
            m = rules.moment(rule.trigger, timing)
            if m is not None:
                found[m.event_id] = m
    if not found:
        return []
    fired = set((await session.exec(select(PipelineEvent.event_id).where(
        PipelineEvent.opportunity_id == opp.id, col(PipelineEvent.event_id).in_(list(found))))).all())
    return sorted((m for key, m in found.items() if key not in fired), key=lambda m: m.due)


async def _time_transitions(session: AsyncSession, file: OpportunityFile, event: OppEvent,
                            now: datetime) -> list[rules.Transition]:
    """A moment fires only if the opportunity still has it, due (moved or cancelled by a change since
    its timer was set: no transition)."""
    still = any(m.event_id == event.event_id and m.due <= now for m in await pending_moments(session, file))
    return [rules.Transition(event.changes["when"], moment=event.changes["moment"])] if still else []


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


async def _change(session: AsyncSession, file: OpportunityFile, event: OppEvent, found: list[rules.Transition],
                  now: datetime) -> None:
    opp, c = file.opportunity, event.changes
    # Time in a stage or a result counts from the change, or from the first event relance hears of.
    if any(t.on == "enters_stage" for t in found) or opp.stage_since is None:
        opp.stage_since = now
    if c.get("result", opp.result) != opp.result or opp.result_since is None:
        opp.result_since = now
    if event.kind == EventKind.OPPORTUNITY:
        opp.stage_key = c.get("stage", opp.stage_key)
        opp.result = c.get("result", opp.result)
        if "assigned_user_id" in c:
            opp.assigned_user_id = int(c["assigned_user_id"])
        if "amount" in c:
            opp.amount = Decimal(c["amount"])
        if "close_on" in c:
            opp.close_on = date.fromisoformat(c["close_on"])
        custom = {name.removeprefix(CUSTOM): value for name, value in c.items() if name.startswith(CUSTOM)}
        if custom:
            opp.custom = {**opp.custom, **custom}
        session.add(opp)
    elif event.kind == EventKind.QUOTE:
        quote = await _quote(session, opp.id, c["quote"]) or Quote(opportunity_id=opp.id, ref=c["quote"], state="")
        quote.state = c["quote_state"]
        session.add(quote)
    elif event.kind == EventKind.ACTION:
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


async def evaluate(session: AsyncSession, file: OpportunityFile, event: OppEvent, before: rules.Before,
                   found: list[rules.Transition], now: datetime) -> tuple[list[PlannedAutomation], list[dict], dict]:
    """The event's changes made to the opportunity (in the session: a dry run rolls them back), its
    snapshot, the automations planned and each fired rule's condition verdict."""
    await _change(session, file, event, found, now)
    snap = await snapshot(session, file, event, before)
    plan, checks = await _plan(session, file, event, found, snap)
    return plan, checks, snap


async def snapshot(session: AsyncSession, file: OpportunityFile, event: OppEvent, before: rules.Before) -> dict:
    """The opportunity as of this event (its changes applied), in the names conditions use: what every
    rule's condition is evaluated on, kept with the event (a later change never alters the verdict)."""
    opp = file.opportunity
    assigned = await session.get(AppUser, opp.assigned_user_id) if opp.assigned_user_id else None
    told = {name: value for name, value in event.changes.items()
            if not name.startswith(CUSTOM) and name not in ("assigned_user_id", "created_by_automation")}
    if "assigned_user_id" in event.changes and assigned is not None:
        told["assigned_to"] = assigned.email
    return {"process": file.process.key, "stage": opp.stage_key, "result": opp.result,
            "amount": str(opp.amount) if opp.amount is not None else None, "tags": list(opp.tags),
            "salesperson": assigned.email if assigned else None, "account": file.account.ref if file.account else None,
            "close_date": opp.close_on.isoformat() if opp.close_on else None, "custom": dict(opp.custom),
            "event": {**told, "kind": event.kind, "previous_stage": before.stage, "previous_result": before.result}}


async def _plan(session: AsyncSession, file: OpportunityFile, event: OppEvent, found: list[rules.Transition],
                snap: dict) -> tuple[list[PlannedAutomation], list[dict]]:
    """The automations of every switched-on rule (as it was at the event) a transition fires and whose
    condition holds on the snapshot, in rule then automation order; a loop's are planned stopped, with
    why. Each condition's verdict is kept, held or not (one that cannot be evaluated does not hold)."""
    if not found:
        return [], []
    plan, checks = [], []
    lang = conditions.language(file.org.locale)
    for rule in await repository.rules_as_of(session, file.process.id, event.rules_upto):
        if not rule.enabled or not any(rules.matches(rule.trigger, t) for t in found):
            continue
        verdict = rules.condition_verdict(rule.condition, snap, lang)
        if verdict is not None:
            checks.append({"rule_key": rule.key, "rule_version": rule.version, "held": verdict.held,
                           "condition": rules.condition_text(rule.condition, lang), "why": verdict.why})
            if not verdict.holds:
                continue
        stop = rules.loop_stop(rule.key, event.cause)
        plan += [PlannedAutomation(
            idem_key=automation_key(rule.id, event.event_id, position), rule_id=rule.id, rule_key=rule.key,
            rule_version=rule.version, position=position, kind=a["do"], label=rules.describe(a),
            event_id=event.event_id, cause=event.cause, stopped=stop) for position, a in enumerate(rule.automations)]
    return plan, checks


async def resume(session: AsyncSession, org_slug: str, opportunity_ref: str, waiting: Waiting,
                 now: datetime) -> str | None:
    """At a wait's end: None when the rule's next automations go on, else why not (they are recorded
    stopped). The wait's condition is its rule version's, evaluated on the opportunity as it is now; the
    verdict is added to the wait's line."""
    file = await repository.opportunity_file(session, org_slug, opportunity_ref)
    w, opp = waiting.wait, file.opportunity
    spec = (await session.get(PipelineRule, w.rule_id)).automations[w.position]
    if spec.get("condition") is None:
        return None
    snap = await snapshot(session, file, OppEvent(f"{w.idem_key}:end", EventKind.TIME),
                          rules.Before(opp.stage_key, opp.result))
    verdict = rules.condition_verdict(spec["condition"], snap, conditions.language(file.org.locale))
    stop = None if verdict.holds else f"stopped after the wait: {verdict.why}"
    await session.exec(update(_RUNS).where(_RUNS.c.idem_key == w.idem_key).values(
        detail=func.left(func.concat(_RUNS.c.detail, f"; then {verdict.why}"), 500)))
    if stop is not None and waiting.rest:
        await session.exec(insert(_RUNS).values([dict(
            idem_key=p.idem_key, org_id=file.org.id, opportunity_id=opp.id, event_id=p.event_id, rule_id=p.rule_id,
            position=p.position, kind=p.kind, state=AutomationState.STOPPED, detail=stop[:500], attempts=0,
            settled_at=now) for p in waiting.rest]).on_conflict_do_nothing())
    return stop
