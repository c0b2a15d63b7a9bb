"""Preview: what a contact would receive from a marketing scenario if enrolled now, step by step (when,
from whom, with what subject and body, unsubscribe link included). Computed from the scenario's
latest version, never sent or recorded: no run, no ledger row, no enrolment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models import MarketingEnrolment
from relance.db import Database
from relance.email.mailer import SesMailer
from relance.marketing import repository, rules
from relance.marketing.compose import compose_for_contact
from relance.marketing.consent import Links
from relance.marketing.plans import build_plan
from relance.marketing.types import ExitReason
from relance.scenario.preview import PreviewStep, preview_steps


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
        file = await repository.enrolment_file(session, org_slug, contact_ref, scenario_key)
        scenario = file.scenario
        out = EnrolmentPreview(scenario.key, scenario.version, contact_ref, rules.exit_reason(file.facts))
        # An enrolment that is never written: the plan's anchor is now, as a run started now would have.
        plan = await build_plan(session, file.org, scenario, MarketingEnrolment(id=0, started_at=now), contact_ref)
        out.steps = await preview_steps(
            session, plan, scenario.id, now,
            lambda step, at: compose_for_contact(session, mailer, file, step, at, links),
            not_sent=f"not enrolled: {out.refused}" if out.refused else None)
    return out
