"""Preview: what a contact would receive from a marketing scenario if enrolled now, step by step (when,
from whom, with what subject and body, unsubscribe link included). Computed from the scenario's
latest version, never sent or recorded: no run, no ledger row, no enrolment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models import MarketingEnrolment
from relance import calendar
from relance.db import Database
from relance.email.mailer import SesMailer
from relance.marketing import repository, rules
from relance.marketing.compose import compose_for_contact
from relance.marketing.consent import Links
from relance.marketing.plans import build_plan
from relance.marketing.types import ExitReason
from relance.scenario import timing
from relance.scenario.preview import PreviewStep
from relance.scenario.steps import scenario_steps


@dataclass
class EnrolmentPreview:
    scenario_key: str
    scenario_version: int
    contact_ref: str
    refused: ExitReason | None = None  # enrolling now would be refused: nothing would go out
    steps: list[PreviewStep] = field(default_factory=list)


async def preview_enrolment(db: Database, mailer: SesMailer, links: Links, org_slug: str, scenario_key: str,
                            contact_ref: str, now: datetime) -> EnrolmentPreview:
    """NotFound names the organisation, scenario or contact missing."""
    async with db.session() as session:
        file = await repository.contact_file(session, org_slug, contact_ref, scenario_key)
        if file.scenario is None:
            raise repository.NotFound(f"marketing scenario {scenario_key!r} of organisation {org_slug!r} not found")
        if file.contact is None:
            raise repository.NotFound(f"contact {contact_ref!r} of organisation {org_slug!r} not found")
        scenario = file.scenario
        out = EnrolmentPreview(scenario.key, scenario.version, contact_ref, rules.exit_reason(file.facts))
        # An enrolment that is never written: the plan's anchor is now, as a run started now would have.
        plan = await build_plan(session, file.org, scenario, MarketingEnrolment(id=0, started_at=now), contact_ref)
        rows = {s.position: s for s in await scenario_steps(session, scenario.id)}
        for position, at in timing.upcoming(plan, 0, now, None):
            step = rows[position]
            line = PreviewStep(position, step.kind, step.label, calendar.in_zone(at, plan.timezone))
            out.steps.append(line)
            if step.kind == "action":
                line.subject = f"task: {step.task_title or step.label} (due {step.task_due_days} day(s) later)"
                continue
            if out.refused is not None:
                line.not_sent = f"not enrolled: {out.refused}"
                continue
            composed = await compose_for_contact(session, mailer, file, step, at, links)
            line.sender = composed.sender
            if composed.email is None:
                line.not_sent = f"{composed.reason}: {composed.detail}"
            else:
                email = composed.email
                line.recipient, line.subject, line.body = email.to, email.subject, email.text
    return out
