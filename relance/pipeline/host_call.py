"""Calling the host (automation call_host, issue 26): a signed POST of the opportunity's event to one of
the organisation's webhook endpoints, whose secret signs it (Standard Webhooks, as relance's webhooks).

The automation only hands the call to a run of its own (HostCallWorkflow, one per automation key, on the
webhook queue): the rule's next automations and the opportunity's next events do not wait for the host,
which is retried with backoff for up to 3 days like a webhook delivery. Its answer (status, time,
attempt) or its failure is written on the automation's timeline line; the answer's body is never read."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import AutomationRun, PipelineEvent, WebhookEndpoint
from relance.db import Database
from relance.outbound import Allowlist, post
from relance.pipeline.repository import OpportunityFile
from relance.pipeline.types import AutomationInput, AutomationState, HostCallAnswer, HostCallEnd, HostCallInput
from relance.sealing import Sealer
from relance.webhooks import signing

EVENT_TYPE = "opportunity.host_call"
_RUNS = AutomationRun.__table__


class CallFailed(Exception):
    """The host did not answer 2xx (relance's own words: `HTTP 500`, `timed out`...): tried again later."""


class EndpointGone(Exception):
    """The endpoint was removed or switched off since the rule was saved: no retry can cure it."""


async def endpoint(session: AsyncSession, org_id: int, name: str) -> WebhookEndpoint | None:
    """The organisation's endpoint a rule names by its id or its URL (the first registered for it), while
    it is switched on (`relance webhook remove` switches it off; registering the URL again brings it back)."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.org_id == org_id, WebhookEndpoint.enabled)
    query = query.where(WebhookEndpoint.id == int(name)) if name.isdigit() else \
        query.where(WebhookEndpoint.url == name).order_by(WebhookEndpoint.id)
    return (await session.exec(query)).first()


async def call_input(session: AsyncSession, file: OpportunityFile, inp: AutomationInput,
                     target: WebhookEndpoint) -> HostCallInput:
    """The call's body: the event as relance handled it (its fields, transitions and the opportunity as of
    it, what conditions read) and the rule that calls; no secret and no email body."""
    a = inp.automation
    event = (await session.exec(select(PipelineEvent).where(
        PipelineEvent.opportunity_id == file.opportunity.id, PipelineEvent.event_id == a.event_id))).one()
    data = {"organisation": file.org.slug, "opportunity": file.opportunity.ref,
            "event": {"id": event.event_id, "kind": event.kind, "changes": event.body,
                      "transitions": event.transitions, "cause": event.cause},
            "state": event.snapshot,
            "rule": {"key": a.rule_key, "version": a.rule_version, "automation": a.position + 1}}
    body = signing.body(EVENT_TYPE, inp.now, data, file.org.timezone).decode()
    return HostCallInput(file.org.slug, file.opportunity.ref, a.idem_key, target.id, body,
                         f"{a.rule_key} v{a.rule_version} #{a.position + 1}")


async def attempt(db: Database, sealer: Sealer, allow: Allowlist, inp: HostCallInput,
                  attempt_number: int) -> HostCallAnswer:
    """One signed POST (signed now: receivers refuse old timestamps); CallFailed when not 2xx. The
    endpoint is read again at each attempt (its URL or secret may have changed; no connection is held
    while the host answers)."""
    async with db.session() as session:
        target = await session.get(WebhookEndpoint, inp.endpoint_id)
    if target is None or not target.enabled:
        raise EndpointGone(f"webhook endpoint {inp.endpoint_id} is gone or switched off")
    payload = inp.body.encode()
    answer = await post(target.url, payload, signing.headers(sealer.open(target.secret), _message_id(inp),
                                                             payload, datetime.now(UTC)), allow)
    if not answer.succeeded:
        raise CallFailed(answer.reason or f"HTTP {answer.status}")
    return HostCallAnswer(answer.status, answer.latency_ms, attempt_number)


def _message_id(inp: HostCallInput) -> str:
    """The same webhook-id on every attempt, so the host can drop a repeat."""
    return inp.idem_key.replace(":", "_")[:200]


async def record(session: AsyncSession, end: HostCallEnd) -> str:
    """The answer (or why there is none) on the automation's line; failed when the host never answered."""
    a = end.answer
    detail = f"endpoint {end.inp.endpoint_id} answered HTTP {a.status} in {a.latency_ms} ms (attempt {a.attempt})" \
        if a is not None else f"endpoint {end.inp.endpoint_id}: {end.failure}"
    state = AutomationState.DONE if a is not None else AutomationState.FAILED
    await session.exec(update(_RUNS).where(_RUNS.c.idem_key == end.inp.idem_key).values(
        state=state, detail=detail[:500], settled_at=end.now))
    return detail
