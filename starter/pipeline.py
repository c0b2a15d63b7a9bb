"""Calls from the host application (and the CLI, the HTTP API) into the pipeline: report an event (the
opportunity's workflow is started with it when it has none: update-with-start), a dry run of an event,
an opportunity's timeline, the retry of a failed automation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import col, select
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from models import AppUser, AutomationRun, FeedNotification, OpportunityAction, PipelineEvent, PipelineRule
from relance import conditions
from relance.db import Database
from relance.pipeline import applying, reporting, repository, rules
from relance.pipeline.ids import opportunity_workflow_id
from relance.pipeline.types import EventAck, OpportunityInput, OpportunityStatus, RetryRequest
from relance.temporal import search_attributes as sa
from relance.temporal.revision import REVISION
from relance.temporal.starting import update_or_refuse
from workflows.pipeline import OpportunityWorkflow

__all__ = ["EventRefused", "current_rules", "dry_run", "opportunity", "pending", "report_event", "retry_automation",
           "status", "switch_rule", "timeline"]
EventRefused = reporting.EventRefused


async def report_event(client: Client, db: Database, task_queue: str, org_slug: str, raw: dict, *,
                       wait: bool = False, events_per_run: int | None = None) -> EventAck:
    """Check the event (EventRefused names each wrong field, nothing is written), then hand it to the
    opportunity's workflow, started if need be. `wait`: answer once its automations are done."""
    body = reporting.parse(raw)
    async with db.session() as session:
        file, event = await reporting.check(session, org_slug, body)
    event.wait = wait
    inp = OpportunityInput(org_slug, body.opportunity, revision=REVISION)
    if events_per_run is not None:
        inp.events_per_run = events_per_run
    start = WithStartWorkflowOperation(
        OpportunityWorkflow.run, inp, id=opportunity_workflow_id(org_slug, body.opportunity), task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes([
            SearchAttributePair(sa.ORGANISATION, org_slug), SearchAttributePair(sa.OPPORTUNITY, body.opportunity),
            SearchAttributePair(sa.STAGE, file.opportunity.stage_key),
            SearchAttributePair(sa.RESULT, file.opportunity.result)]),
        static_summary=f"Opportunity {body.opportunity} ({org_slug})")
    try:
        return await client.execute_update_with_start_workflow(OpportunityWorkflow.report, event,
                                                               start_workflow_operation=start)
    except WorkflowUpdateFailedError as exc:
        raise reporting.EventRefused([str(exc.cause.message if exc.cause else exc)]) from exc


@dataclass
class DryRunLine:
    rule: str
    version: int
    position: int
    does: str
    stopped: str | None = None


@dataclass
class ConditionLine:
    """A fired rule's condition on the event: held or not (None: it could not be evaluated), and why."""

    rule: str
    version: int
    condition: str
    held: bool | None
    why: str


@dataclass
class DryRun:
    transitions: list[str]
    lines: list[DryRunLine]
    conditions: list[ConditionLine] = field(default_factory=list)


async def dry_run(db: Database, org_slug: str, raw: dict) -> DryRun:
    """What the event would do now: its transitions from the state relance knows, each fired rule's
    condition on the opportunity as the event would leave it, and each automation of the rules whose
    condition holds (their current versions). Nothing is written (rolled back), nothing is sent."""
    body = reporting.parse(raw)
    async with db.session() as session:
        file, event = await reporting.check(session, org_slug, body)
        before = await applying.before_event(session, file, event)
        found = rules.transitions(before, event)
        plan, checks, _ = await applying.evaluate(session, file, event, before, found, datetime.now(UTC))
        await session.rollback()
    return DryRun([str(t) for t in found],
                  [DryRunLine(p.rule_key, p.rule_version, p.position + 1, p.label, p.stopped) for p in plan],
                  [ConditionLine(c["rule_key"], c["rule_version"], c["condition"], c["held"], c["why"])
                   for c in checks])


_HELD = {True: "held", False: "not held", None: "unknown"}


@dataclass
class TimelineLine:
    at: datetime | None
    kind: str  # event | condition | automation
    text: str
    state: str = ""
    key: str = ""


async def timeline(db: Database, org_slug: str, ref: str) -> list[TimelineLine]:
    """The opportunity's events (with their transitions), each automation's outcome, in order."""
    async with db.session() as session:
        file = await repository.opportunity_file(session, org_slug, ref)
        opp_id = file.opportunity.id
        events = (await session.exec(select(PipelineEvent).where(PipelineEvent.opportunity_id == opp_id)
                                     .order_by(PipelineEvent.id))).all()
        runs = (await session.exec(select(AutomationRun).where(AutomationRun.opportunity_id == opp_id)
                                   .order_by(AutomationRun.id))).all()
        by_event: dict[str, list[AutomationRun]] = {}
        for run in runs:
            by_event.setdefault(run.event_id, []).append(run)
    lines = []
    for e in events:
        cause = f" (caused by {' → '.join(e.cause)})" if e.cause else ""
        lines.append(TimelineLine(e.handled_at, "event", f"{e.event_id} {e.kind} {rules.fields_text(e.body)}{cause}: "
                                  + (", ".join(e.transitions) or "no change"), key=e.event_id))
        lines += [TimelineLine(e.handled_at, "condition", f"{c['rule_key']} v{c['rule_version']}: {c['why']}",
                               _HELD[c["held"]]) for c in e.conditions]
        labels = {p["idem_key"]: p for p in e.plan}
        for run in sorted(by_event.get(e.event_id, []), key=lambda r: (r.rule_id, r.position)):
            p = labels.get(run.idem_key, {})
            lines.append(TimelineLine(run.settled_at, "automation",
                                      f"{p.get('rule_key', run.rule_id)} v{p.get('rule_version', '?')} "
                                      f"#{run.position + 1} {run.kind}: {p.get('label', '')}"
                                      + (f" — {run.detail}" if run.detail else ""), run.state, run.idem_key))
    return lines


@dataclass
class OpportunityView:
    """The opportunity as relance knows it (what its next event is compared with), its actions and feed."""

    file: repository.OpportunityFile
    actions: list[OpportunityAction]
    feed: list[FeedNotification]
    assignees: dict[int, str]  # user id -> email, for the actions


async def opportunity(db: Database, org_slug: str, ref: str) -> OpportunityView:
    async with db.session() as session:
        file = await repository.opportunity_file(session, org_slug, ref)
        todo = await _actions(session, file.opportunity.id)
        users = (await session.exec(select(AppUser).where(
            col(AppUser.id).in_({a.assignee_user_id for a in todo if a.assignee_user_id})))).all()
        notes = await _feed(session, file.opportunity.id)
    return OpportunityView(file, todo, notes, {u.id: u.email for u in users})


@dataclass
class RuleLine:
    """A rule as it is now (its latest version): what fires it and what it does, in order."""

    process: str
    rule: PipelineRule
    does: list[str]
    condition: str | None = None  # in the organisation's language


async def current_rules(db: Database, org_slug: str) -> list[RuleLine]:
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        found = await repository.current_rules(session, org.id)
    return [_line(process.key, rule, org.locale) for process, rule in found]


async def switch_rule(db: Database, org_slug: str, process: str, key: str, enabled: bool) -> RuleLine:
    """Switch a rule on or off (a new version: events reported before are handled as they were). A later
    import sets it as its file says."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        rule = await repository.switch_rule(session, org.id, process, key, enabled)
    return _line(process, rule, org.locale)


def _line(process: str, rule: PipelineRule, locale: str) -> RuleLine:
    return RuleLine(process, rule, [rules.describe(a) for a in rule.automations],
                    rules.condition_text(rule.condition, conditions.language(locale)))


async def actions(db: Database, org_slug: str, ref: str) -> list[OpportunityAction]:
    async with db.session() as session:
        return await _actions(session, (await repository.opportunity_file(session, org_slug, ref)).opportunity.id)


async def feed(db: Database, org_slug: str, ref: str) -> list[FeedNotification]:
    async with db.session() as session:
        return await _feed(session, (await repository.opportunity_file(session, org_slug, ref)).opportunity.id)


async def _actions(session, opportunity_id: int) -> list[OpportunityAction]:
    return list((await session.exec(select(OpportunityAction).where(
        OpportunityAction.opportunity_id == opportunity_id).order_by(col(OpportunityAction.id)))).all())


async def _feed(session, opportunity_id: int) -> list[FeedNotification]:
    return list((await session.exec(select(FeedNotification).where(
        FeedNotification.opportunity_id == opportunity_id).order_by(col(FeedNotification.id)))).all())


async def retry_automation(client: Client, org_slug: str, ref: str, idem_key: str, by: str = "ops") -> str:
    """Run a failed automation again (its key as the timeline shows it); ValueError when it did not fail."""
    return await update_or_refuse(
        client, opportunity_workflow_id(org_slug, ref), OpportunityWorkflow.retry, RetryRequest(idem_key, by),
        what=f"opportunity {ref!r}", missing=f"opportunity {ref!r} of organisation {org_slug!r} has no event yet")


async def pending(client: Client, org_slug: str, ref: str) -> OpportunityStatus | None:
    """The opportunity's workflow state (its time triggers and waits pending); None before its first event."""
    try:
        return await status(client, org_slug, ref)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def status(client: Client, org_slug: str, ref: str) -> OpportunityStatus:
    return await client.get_workflow_handle(opportunity_workflow_id(org_slug, ref)).query(OpportunityWorkflow.status)
