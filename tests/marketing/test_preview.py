"""Trusting a marketing scenario before enrolling anyone: the preview (what a contact would receive, when,
with what subject, nothing sent or recorded) and the simulation (the scenario walked step by step for an
internal user, like a dunning scenario's)."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from models import EmailLedgerEntry, MarketingEnrolment
from relance.marketing import repository
from relance.marketing.consent import Links
from relance.marketing.preview import preview_enrolment
from starter.simulation import start_simulation
from tests import factories as f
from workflows.simulation import ScenarioSimulationWorkflow

CONTACT = "C1-billing"


async def _nothing_recorded(stack) -> None:
    assert stack.sent() == []
    async with stack.db.session() as session:
        for table in (MarketingEnrolment, EmailLedgerEntry):
            assert (await session.exec(select(func.count()).select_from(table))).one() == 0


async def _preview(stack, settings, contact: str = CONTACT):
    links = Links(settings.public_base_url, settings.unsubscribe_secret)
    return await preview_enrolment(stack.db, stack.mailer, links, stack.slug, "welcome", contact, await stack.now())


async def test_preview_says_what_a_contact_would_receive_and_when_without_sending(stack, settings):
    await stack.mailer.verify(f.SENDER)
    await stack.load(f.marketing_org(stack.slug))
    now = await stack.now()
    preview = await _preview(stack, settings)
    assert (preview.scenario_version, preview.refused) == (1, None)
    welcome, tips = preview.steps
    assert (welcome.label, welcome.subject, welcome.recipient) == ("Bienvenue", "Bienvenue Jean",
                                                                   "billing@dupont.example.org")
    assert welcome.sender == f.SENDER and "M. Jean Dupont" in welcome.body
    assert "/u/" in welcome.body  # the unsubscribe link every marketing email ends with
    assert (tips.subject, tips.position) == ("Trois conseils pour Dupont SA", 2)
    assert welcome.at >= now - timedelta(minutes=1) and tips.at - welcome.at >= timedelta(days=3)  # the pause
    await _nothing_recorded(stack)


async def test_preview_of_an_opted_out_contact_says_nothing_would_go_out(stack, settings):
    await stack.mailer.verify(f.SENDER)
    data = f.marketing_org(stack.slug)
    data["accounts"][0]["contacts"][0]["opted_out"] = True
    await stack.load(data)
    preview = await _preview(stack, settings)
    assert preview.refused == "opted_out"
    assert [s.not_sent for s in preview.steps] == ["not enrolled: opted_out"] * 2
    with pytest.raises(repository.NotFound, match="contact 'nobody'"):
        await _preview(stack, settings, "nobody")
    await _nothing_recorded(stack)


async def test_a_marketing_scenario_is_simulated_step_by_step_for_an_internal_user(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(f.marketing_org(stack.slug))
    handle = await start_simulation(stack.client, stack.db, stack.task_queue, stack.slug, f.SENDER, "welcome")
    reports = [await handle.execute_update(ScenarioSimulationWorkflow.execute_next) for _ in range(3)]
    assert [r.outcome for r in reports] == ["sent", "skipped_pause", "sent"]
    assert [m["destinations"]["to"] for m in stack.sent()] == [[f.SENDER]] * 2  # the user, never a contact
    assert stack.sent()[1]["subject"] == "Trois conseils pour [[!AccountName]]"  # the contact's fields as codes
    await handle.result()
    async with stack.db.session() as session:
        assert (await session.exec(select(func.count()).select_from(MarketingEnrolment))).one() == 0
