"""Doing one automation, at most once. Its row (AutomationRun, unique idempotency key: rule version,
event, position) is claimed first; a database side effect (an action, a feed notification, a tag) is
written in the same transaction as the row's `done`, so it exists once or not at all; an email goes
through the send-once ledger under the same key; marketing is reached through relance.marketing.public,
whose runs have deterministic ids. A failure that no retry can cure raises Permanent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import func, literal, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client
from temporalio.common import SearchAttributePair

from models import (
    About,
    AppUser,
    AutomationRun,
    EmailTemplate,
    FeedNotification,
    Opportunity,
    OpportunityAction,
    PipelineRule,
)
from relance import calendar, limits
from relance.db import Database
from relance.documents import library
from relance.documents.storage import DocumentStore
from relance.email import ledger
from relance.email.compose import NotSentReason, TemplateText, compose
from relance.email.mailer import Attachment, SesMailer
from relance.email.recipient import Recipient, recipient_from
from relance.email.sending import SendStatus, send_once
from relance.importing.format import ASSIGNED_TO
from relance.marketing import public as marketing
from relance.pipeline import events, host_call, merge_fields, notifying, repository, rules
from relance.pipeline.errors import Permanent
from relance.pipeline.ids import HOST_CALL_WORKFLOW, host_call_workflow_id, opportunity_workflow_id
from relance.pipeline.repository import OpportunityFile
from relance.pipeline.types import (
    AutomationInput,
    AutomationOutcome,
    AutomationState,
    EventKind,
    FailureInput,
    HostCallEnd,
    OppEvent,
)
from relance.temporal import search_attributes as sa
from relance.temporal.queues import webhook_queue
from relance.temporal.starting import start_once
from relance.webhooks.publishing import Event

_RUNS = AutomationRun.__table__
_ACTIONS = OpportunityAction.__table__
_FEED = FeedNotification.__table__
_OPPS = Opportunity.__table__


@dataclass
class Deps:
    db: Database
    mailer: SesMailer
    client: Client
    task_queue: str
    publish: Callable[[Event], Awaitable[int]] | None = None  # the webhooks of an action, a notification, a tag


async def run(deps: Deps, inp: AutomationInput) -> AutomationOutcome:
    a = inp.automation
    async with deps.db.session() as session:
        file = await repository.opportunity_file(session, inp.org_slug, inp.opportunity_ref)
        spec = (await session.get(PipelineRule, a.rule_id)).automations[a.position]
        if a.kind == "assign" and spec.get("by") != "account_owner":
            await _take_turn(session, file.org.id, a.rule_key)
        settled = await _claim(session, file, inp)  # as an earlier attempt settled it, if one did
        inside = _IN_TRANSACTION.get(a.kind) if not (a.kind == "notify" and spec.get("user")) else None
        if settled is not None and settled.state == AutomationState.DONE and a.kind in _CAUSING:
            # Done, but its answer was lost: the event it causes (same id: handled once), a wait's end, again.
            again = await inside(session, file, inp, spec)
            settled.caused, settled.until = again.caused, again.until
        if settled is None and inside is not None:
            settled = await inside(session, file, inp, spec)
            await settle(session, a.idem_key, settled.state, settled.detail, inp)
    if settled is not None:
        # Told after the commit, and again by a retry that finds it done (a crash between the two loses
        # nothing; the event's key keeps it from being told twice). What is done outside tells nothing.
        if inside is not None:
            await _tell(deps, file, inp, spec, settled)
        return settled
    if a.kind == "notify":
        outcome = await notifying.notify(deps.db, deps.mailer, file, inp, spec)
    else:
        outcome = await _OUTSIDE[a.kind](deps, file, inp, spec)
    if a.kind != "call_host":  # its run writes its answer itself
        async with deps.db.session() as session:
            await settle(session, a.idem_key, outcome.state, outcome.detail, inp)
    return outcome


async def _take_turn(session: AsyncSession, org_id: int, rule_key: str) -> None:
    """Round robin: the rule's assignments one after another (a lock on its first version's row, taken
    before the automation's row is claimed, so row ids follow the turns): two opportunities assigned at
    the same moment never pick the same user by counting the same assignments."""
    await session.exec(select(PipelineRule.id).where(PipelineRule.org_id == org_id, PipelineRule.key == rule_key)
                       .order_by(PipelineRule.id).limit(1).with_for_update())


async def _tell(deps: Deps, file: OpportunityFile, inp: AutomationInput, spec: dict,
                outcome: AutomationOutcome) -> None:
    event = events.effect(file.org.id, inp, spec, outcome)
    if deps.publish is not None and event is not None:
        await deps.publish(event)


async def _claim(session: AsyncSession, file: OpportunityFile, inp: AutomationInput) -> AutomationOutcome | None:
    """The row, taken (None) or as an earlier attempt settled it (its outcome: nothing is done again).
    A failed one runs again only when retried."""
    a = inp.automation
    row = (await session.exec(insert(_RUNS).values(
        idem_key=a.idem_key, org_id=file.org.id, opportunity_id=file.opportunity.id, event_id=a.event_id,
        rule_id=a.rule_id, position=a.position, kind=a.kind, state=AutomationState.RUNNING, attempts=1)
        .on_conflict_do_update(index_elements=["idem_key"], set_={"attempts": _RUNS.c.attempts + literal(1)})
        .returning(_RUNS.c.state, _RUNS.c.detail))).one()
    if row.state == AutomationState.DONE or row.state == AutomationState.STOPPED:
        return AutomationOutcome(row.state, row.detail)
    if row.state == AutomationState.FAILED and not inp.retry:
        return AutomationOutcome(row.state, row.detail)
    return None


async def settle(session: AsyncSession, key: str, state: str, detail: str | None, inp: AutomationInput) -> None:
    await session.exec(update(_RUNS).where(_RUNS.c.idem_key == key).values(
        state=state, detail=(detail or "")[:500] or None, settled_at=inp.now))


async def record_failed(session: AsyncSession, inp: FailureInput) -> int:
    """The automation failed for good, with why: its row written whatever became of it (a failure inside
    the row's transaction rolled the row back with it). The organisation's id."""
    a = inp.automation
    file = await repository.opportunity_file(session, inp.org_slug, inp.opportunity_ref)
    failed = dict(state=AutomationState.FAILED, detail=inp.reason[:500] or None, settled_at=inp.now)
    await session.exec(insert(_RUNS).values(
        idem_key=a.idem_key, org_id=file.org.id, opportunity_id=file.opportunity.id, event_id=a.event_id,
        rule_id=a.rule_id, position=a.position, kind=a.kind, attempts=1, **failed)
        .on_conflict_do_update(index_elements=["idem_key"], set_=failed))
    return file.org.id


# --- in the row's transaction ---------------------------------------------------------------------


async def _create_action(session: AsyncSession, file: OpportunityFile, inp: AutomationInput,
                         spec: dict) -> AutomationOutcome:
    org, a = file.org, inp.automation
    assignee = await _assignee(session, file, spec["assignee"])
    due = rules.due_on(calendar.local_today(inp.now, org.timezone), spec.get("due_in_days", 0),
                       spec.get("business_days", False), rules.open_days(org))
    ref = f"auto-{a.rule_id}-{a.position}-{a.event_id}"[:200]
    await session.exec(insert(_ACTIONS).values(
        org_id=org.id, opportunity_id=file.opportunity.id, ref=ref, type_key=spec["type"], title=spec["title"],
        assignee_user_id=assignee, due_on=due, state="open", idem_key=a.idem_key, created_at=inp.now)
        .on_conflict_do_nothing())
    # The action's creation is an event of its own (rules on "action of type T created"), carrying its cause.
    caused = OppEvent(event_id=f"{a.idem_key}:created", kind=EventKind.ACTION,
                      changes={"action": ref, "action_type": spec["type"], "action_state": "open",
                               "created_by_automation": "1"},
                      cause=[*a.cause, a.rule_key], rules_upto=await repository.latest_rule_id(session, org.id))
    return AutomationOutcome(AutomationState.DONE, f"action {ref} due {due.isoformat()}", caused)


async def _assignee(session: AsyncSession, file: OpportunityFile, assignee: str) -> int:
    return (await notifying.user_named(session, file, assignee, "assignee")).id


async def _notify(session: AsyncSession, file: OpportunityFile, inp: AutomationInput, spec: dict) -> AutomationOutcome:
    await session.exec(insert(_FEED).values(org_id=file.org.id, opportunity_id=file.opportunity.id,
                                            text=spec["text"], idem_key=inp.automation.idem_key, created_at=inp.now)
                       .on_conflict_do_nothing())
    return AutomationOutcome(AutomationState.DONE, "posted on the feed")


async def _add_tag(session: AsyncSession, file: OpportunityFile, inp: AutomationInput, spec: dict) -> AutomationOutcome:
    tag = spec["tag"]
    await session.exec(update(_OPPS).where(_OPPS.c.id == file.opportunity.id, ~_OPPS.c.tags.contains([tag])).values(
        tags=func.array_append(_OPPS.c.tags, tag)))
    return AutomationOutcome(AutomationState.DONE, f"tagged {tag!r}")


async def _remove_tag(session: AsyncSession, file: OpportunityFile, inp: AutomationInput,
                      spec: dict) -> AutomationOutcome:
    tag = spec["tag"]
    await session.exec(update(_OPPS).where(_OPPS.c.id == file.opportunity.id).values(
        tags=func.array_remove(_OPPS.c.tags, tag)))
    return AutomationOutcome(AutomationState.DONE, f"tag {tag!r} removed")


async def _update_field(session: AsyncSession, file: OpportunityFile, inp: AutomationInput,
                        spec: dict) -> AutomationOutcome:
    """The change is an event of its own, carrying its cause: handled next, through the same path as the
    host's (transitions, rules, the loop guard stops a rule reacting to its own update)."""
    name, value = spec["field"], spec["value"]
    if name == "salesperson":
        return await _reassign(session, file, inp, await _assignee(session, file, value))
    return AutomationOutcome(AutomationState.DONE, f"{name} → {value} (an event of its own)",
                             await _caused_change(session, file, inp, {rules.UPDATABLE[name]: value}))


async def _assign(session: AsyncSession, file: OpportunityFile, inp: AutomationInput, spec: dict) -> AutomationOutcome:
    """The account's owner, or round robin among the rule's users, by the number of this rule's assignments
    done before this one (the same answer on a retry)."""
    if spec.get("by") == "account_owner":
        if file.account is None:
            raise Permanent(f"account: opportunity {file.opportunity.ref!r} has no account, so no owner to assign")
        if file.account.owner_user_id is None:
            raise Permanent(f"owner: account {file.account.ref!r} has no owner (set it by import or "
                            "POST /v1/imports, then retry)")
        return await _reassign(session, file, inp, file.account.owner_user_id)
    mine = (await session.exec(select(_RUNS.c.id).where(_RUNS.c.idem_key == inp.automation.idem_key))).one()
    done = (await session.exec(select(func.count()).select_from(_RUNS).join(
        PipelineRule, PipelineRule.id == _RUNS.c.rule_id).where(
        PipelineRule.org_id == file.org.id, PipelineRule.key == inp.automation.rule_key,
        _RUNS.c.kind == "assign", _RUNS.c.state == AutomationState.DONE, _RUNS.c.id < mine))).one()
    return await _reassign(session, file, inp, await _assignee(session, file, spec["users"][done % len(spec["users"])]))


async def _reassign(session: AsyncSession, file: OpportunityFile, inp: AutomationInput,
                    user_id: int) -> AutomationOutcome:
    user = await session.get(AppUser, user_id)
    return AutomationOutcome(AutomationState.DONE, f"assigned to {user.email} (an event of its own)",
                             await _caused_change(session, file, inp, {"assigned_user_id": str(user_id)}))


async def _caused_change(session: AsyncSession, file: OpportunityFile, inp: AutomationInput,
                         changes: dict[str, str]) -> OppEvent:
    a = inp.automation
    return OppEvent(event_id=f"{a.idem_key}:update", kind=EventKind.OPPORTUNITY, changes=changes,
                    cause=[*a.cause, a.rule_key], rules_upto=await repository.latest_rule_id(session, file.org.id))


async def _wait(session: AsyncSession, file: OpportunityFile, inp: AutomationInput, spec: dict) -> AutomationOutcome:
    """Only says until when: the opportunity's workflow holds the rule's next automations (a timer)."""
    until = rules.wait_until(inp.now, spec.get("days"), spec.get("at"), file.org.timezone)
    return AutomationOutcome(AutomationState.DONE, f"waits until {calendar.iso(until, file.org.timezone)}",
                             until=until)


# Those whose change is an event of its own, derived again the same way when a retry finds them done.
_CAUSING = ("update_field", "assign", "wait")
_IN_TRANSACTION = {"create_action": _create_action, "notify": _notify, "add_tag": _add_tag, "remove_tag": _remove_tag,
                   "update_field": _update_field, "assign": _assign, "wait": _wait}


# --- outside it: email (the ledger), marketing (deterministic runs) -------------------------------------


async def _attachments(deps: Deps, org_id: int, keys: list[str]) -> list[Attachment]:
    """The documents the automation names (checked when they arrived); one deleted since is a failure to fix."""
    if not keys:
        return []
    async with deps.db.session() as session:
        found = await library.by_keys(session, org_id, keys)
    missing = sorted(set(keys) - {d.key for d in found})
    if missing:
        raise Permanent(f"attach: no document {', '.join(map(repr, missing))} in the organisation")
    if sum(d.size for d in found) > limits.MAX_ATTACHMENTS_BYTES:
        raise Permanent(f"attach: the documents make more than {limits.MAX_ATTACHMENTS_BYTES // 2**20} MB together")
    try:
        return await library.attachments(DocumentStore(deps.mailer.settings), found)
    except library.Unavailable as exc:
        raise Permanent(f"attach: {exc}") from None


async def _send_email(deps: Deps, file: OpportunityFile, inp: AutomationInput, spec: dict) -> AutomationOutcome:
    a, org = inp.automation, file.org
    async with deps.db.session() as session:
        template = (await session.exec(select(EmailTemplate).where(
            EmailTemplate.org_id == org.id, EmailTemplate.key == spec["template"]))).first()
        sender = await repository.user_by_email(session, org.id, spec["sender"])
    if template is None:
        raise Permanent(f"template: unknown template {spec['template']!r}")
    recipient = _recipient(file, spec["to"])
    composition = await compose(
        TemplateText(template.subject, template.body), sender, recipient,
        merge_fields.values(file, recipient, inp.now, spec.get("document_url")),
        where=f"rule {a.rule_key!r} automation {a.position + 1}", is_verified=deps.mailer.is_verified,
        org_name=org.name, notify_bcc=False)
    if composition.email is None:
        raise Permanent(f"{composition.reason}: {composition.detail}")
    composition.email.attachments = await _attachments(deps, org.id, spec.get("attach") or [])
    source = ledger.Source(org.id, opportunity_workflow_id(org.slug, file.opportunity.ref),
                           About("opportunity", file.opportunity.ref))
    result = await send_once(deps.db, deps.mailer, a.idem_key, composition.email, source, inp.now)
    if result.status == SendStatus.SENDER_REFUSED:
        raise Permanent(f"{NotSentReason.SENDER_NOT_VERIFIED}: {composition.email.sender_address}")
    if result.status == SendStatus.NOT_SENT:
        raise Permanent(f"not sent: {result.reason}")
    return AutomationOutcome(AutomationState.DONE, f"email to {result.recipient} ({result.status}"
                             + (f", {result.message_id})" if result.message_id else ")"))


def _recipient(file: OpportunityFile, to: str) -> Recipient:
    if to == ASSIGNED_TO:
        if file.assigned is None:
            raise Permanent(f"{ASSIGNED_TO}: opportunity {file.opportunity.ref!r} has no salesperson")
        return Recipient(file.assigned.email, "", file.assigned.full_name, "salesperson")
    if to == "contact":
        if file.contact is None or not file.contact.email:
            raise Permanent(f"to: opportunity {file.opportunity.ref!r} has no contact with an email address")
        return recipient_from(file.contact, "opportunity contact")
    return Recipient(to, "", "", "address")


def _contact_ref(file: OpportunityFile) -> str:
    if file.contact is None:
        raise Permanent(f"contact: opportunity {file.opportunity.ref!r} has no contact")
    return file.contact.ref


async def _enrol(deps: Deps, file: OpportunityFile, inp: AutomationInput, spec: dict) -> AutomationOutcome:
    try:
        enrolment = await marketing.enrol(deps.client, deps.db, deps.task_queue, file.org.slug, spec["scenario"],
                                          _contact_ref(file), by=f"pipeline rule {inp.automation.rule_key}",
                                          opportunity=merge_fields.opportunity_values(file))
    except marketing.NotFound as exc:
        raise Permanent(f"scenario: {exc}") from exc
    return AutomationOutcome(AutomationState.DONE, f"enrolment {enrolment.outcome}")


async def _unenrol(deps: Deps, file: OpportunityFile, inp: AutomationInput, spec: dict) -> AutomationOutcome:
    try:
        said = await marketing.remove(deps.client, file.org.slug, spec["scenario"], _contact_ref(file),
                                      by=f"pipeline rule {inp.automation.rule_key}",
                                      reason=f"opportunity {file.opportunity.ref}: {inp.automation.event_id}")
    except (marketing.NotFound, ValueError) as exc:  # not in the scenario (any more): nothing to remove
        said = f"nothing to remove: {exc}"
    return AutomationOutcome(AutomationState.DONE, said)


async def _create_campaign(deps: Deps, file: OpportunityFile, inp: AutomationInput, spec: dict) -> AutomationOutcome:
    key = f"{inp.automation.rule_key}-{file.opportunity.ref}"
    try:
        await marketing.create_campaign(deps.db, file.org.slug, key, spec["name"], spec["template"],
                                        f"pipeline rule {inp.automation.rule_key}", contact_ref=_contact_ref(file),
                                        sender=spec.get("sender"))
    except ValueError as exc:
        if "only a draft can change" in str(exc):
            return AutomationOutcome(AutomationState.DONE, f"campaign {key!r} launched already: left as it is")
        raise Permanent(str(exc)) from exc
    return AutomationOutcome(AutomationState.DONE, f"campaign draft {key!r}")


async def _call_host(deps: Deps, file: OpportunityFile, inp: AutomationInput, spec: dict) -> AutomationOutcome:
    """Hands the signed call to its own run (one per automation key): the automation's line says it is under
    way (running) until that run writes the host's answer on it."""
    a = inp.automation
    async with deps.db.session() as session:
        target = await host_call.endpoint(session, file.org.id, spec["endpoint"])
        if target is None:
            raise Permanent(f"endpoint: {spec['endpoint']!r} is no webhook endpoint of the organisation (any more)")
        call = await host_call.call_input(session, file, inp, target)
        detail = f"signed POST to endpoint {target.id} under way ({host_call_workflow_id(a.idem_key)})"
        await session.exec(update(_RUNS).where(_RUNS.c.idem_key == a.idem_key,
                                               _RUNS.c.state != AutomationState.DONE).values(
            state=AutomationState.RUNNING, detail=detail, settled_at=inp.now))
    await start_once(deps.client, HOST_CALL_WORKFLOW, call, HostCallEnd, host_call_workflow_id(a.idem_key),
                     webhook_queue(deps.task_queue), f"Call the host for {call.label} ({file.org.slug})",
                     [SearchAttributePair(sa.ORGANISATION, file.org.slug)])
    return AutomationOutcome(AutomationState.RUNNING, detail)


_OUTSIDE = {"send_email": _send_email, "enrol": _enrol, "unenrol": _unenrol, "create_campaign": _create_campaign,
            "call_host": _call_host}
