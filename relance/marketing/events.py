"""What a marketing enrolment tells the host application (webhooks): an email sent, the run ended.
Each event is keyed by the idempotency key of what happened, so a retried activity publishes it once."""

from __future__ import annotations

from relance.marketing.types import CampaignFinishInput, CampaignResult, FinishInput, StepInput
from relance.scenario.plan import step_number
from relance.webhooks import events
from relance.webhooks.publishing import Event


def email_key(inp: StepInput) -> str:
    """Per run (a re-entered scenario is a new enrolment), per step."""
    return f"{inp.workflow_id}:{inp.enrolment_id}:{inp.position}:email"


def task_key(inp: StepInput) -> str:
    return f"{inp.workflow_id}:{inp.enrolment_id}:{inp.position}:task"


def sent(inp: StepInput, org_id: int, step_label: str, recipient: str, message_id: str) -> Event:
    data = {**_about(inp.workflow_id, inp.org_slug, inp.scenario_key, inp.contact_ref),
            "step": {"number": step_number(inp.position), "name": step_label}, "recipient": recipient,
            "message_id": message_id}
    return Event(org_id, inp.org_slug, events.MARKETING_SENT, email_key(inp), data, inp.now)


def exited(inp: FinishInput, org_id: int, org_slug: str, scenario_key: str, contact_ref: str) -> Event:
    data = {**_about(inp.workflow_id, org_slug, scenario_key, contact_ref), "exit_reason": str(inp.reason),
            "detail": inp.detail, "emails_sent": inp.emails_sent}
    return Event(org_id, org_slug, events.MARKETING_EXITED, f"marketing.exited:{inp.workflow_id}:{inp.enrolment_id}",
                 data, inp.now)


def campaign_email_key(org_slug: str, campaign_key: str, contact_ref: str) -> str:
    """Once per campaign and recipient, whatever is retried or relaunched."""
    return f"campaign:{org_slug}:{campaign_key}:{contact_ref}"


def campaign_finished(inp: CampaignFinishInput, org_id: int, result: CampaignResult) -> Event:
    data = {"organisation": inp.org_slug, "campaign": inp.campaign_key, **vars(result)}
    return Event(org_id, inp.org_slug, events.CAMPAIGN_FINISHED, f"campaign.finished:{inp.org_slug}:{inp.campaign_key}",
                 data, inp.now)


def _about(workflow_id: str, org_slug: str, scenario_key: str, contact_ref: str) -> dict:
    return {"organisation": org_slug, "scenario": scenario_key, "contact": contact_ref, "workflow_id": workflow_id}
