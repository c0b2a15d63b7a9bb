"""Marketing in the import format: every problem named by record and field, versions (a running
enrolment keeps its own), consent and tags as imported, and an opt-out by link that a re-import
never undoes."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from models import Contact, Scenario
from relance.importing.importer import ImportRejected
from relance.marketing.types import OptOutVia
from starter import marketing
from tests import factories as f


async def test_every_problem_of_a_marketing_scenario_is_named(stack):
    data = f.marketing_org(stack.slug, steps=[
        {"kind": "email", "label": "Bienvenue", "template": "invoice-fields"},
        {"kind": "email", "label": "Hier", "template": "welcome", "offset_days": -1},
        {"kind": "email", "label": "Fantôme", "template": "nope"},
        {"kind": "pause", "label": "Pause"},
    ])
    data["templates"].append({"key": "invoice-fields", "name": "x", "subject": "Facture [[!Number]]", "body": "x"})
    data["scenarios"].append({"key": "welcome", "name": "Doublon", "steps": f.ONE_REMINDER})
    data["accounts"][0]["contacts"][0]["tags"] = ["bad tag!"]
    with pytest.raises(ImportRejected) as refused:
        await stack.load(data)
    problems = "\n".join(refused.value.problems)
    where = f"organisation {stack.slug!r}"
    assert "tags[0]: String should match pattern" in problems
    data["accounts"][0]["contacts"][0]["tags"] = ["newsletter"]
    with pytest.raises(ImportRejected) as refused:
        await stack.load(data)
    problems = refused.value.problems
    assert f"{where} › template 'invoice-fields' › subject: unknown merge field(s) [[!Number]]" in problems[0]
    assert "[[!FirstName]]" in problems[0] and "[[!UnsubscribeUrl]]" in problems[0]  # the known ones listed
    assert (f"{where} › marketing_scenario 'welcome' › step 2 'Hier' › offset_days: counts from the enrolment day, "
            f"cannot be negative (-1)") in problems
    assert f"{where} › marketing_scenario 'welcome' › step 3 'Fantôme' › template: unknown template 'nope'" in problems
    assert (f"{where} › marketing_scenario 'welcome' › step 4 'Pause' › days: a pause needs its number of days"
            in problems)
    assert f"{where} › scenario 'welcome': appears 2 times in the file" in problems
    async with stack.db.session() as session:
        assert (await session.exec(select(Scenario))).all() == []  # nothing written


async def test_a_changed_scenario_is_a_new_version_and_a_running_enrolment_keeps_its_own(stack):
    await stack.mailer.verify(f.SENDER)
    await stack.load(f.marketing_org(stack.slug))
    first = await marketing.enrol(stack.client, stack.db, stack.task_queue, stack.slug, "welcome", "C1-billing", "ops")
    await stack.advance_until(lambda: len(stack.sent()) == 1)
    changed = f.marketing_org(stack.slug, steps=[{**f.WELCOME_STEPS[0], "label": "Bienvenue v2"}])
    await stack.load(changed)
    result = await first.handle.result()
    assert result.emails_sent == 2  # version 1's two emails
    async with stack.db.session() as session:
        versions = (await session.exec(select(Scenario.version, Scenario.purpose).where(Scenario.key == "welcome")
                                       .order_by(Scenario.version))).all()
    assert versions == [(1, "marketing"), (2, "marketing")]
    await stack.load(changed)  # the same again: no new version
    async with stack.db.session() as session:
        assert len((await session.exec(select(Scenario).where(Scenario.key == "welcome"))).all()) == 2


async def test_consent_is_imported_and_an_opt_out_by_link_survives_a_re_import(stack):
    data = f.marketing_org(stack.slug)
    await stack.load(data)
    await marketing.opt_out(stack.client, stack.db, stack.slug, "C1-billing", OptOutVia.LINK, datetime.now(UTC))
    await stack.load(data)  # opted_out absent: left as it is

    async def contact() -> Contact:
        async with stack.db.session() as session:
            return (await session.exec(select(Contact).where(Contact.ref == "C1-billing"))).one()

    kept = await contact()
    assert (kept.opted_out_via, kept.tags) == ("link", ["newsletter"])
    data["accounts"][0]["contacts"][0]["opted_out"] = True
    await stack.load(data)
    assert (await contact()).opted_out_at == kept.opted_out_at  # the first opt-out's when and how stay
    data["accounts"][0]["contacts"][0]["opted_out"] = False
    await stack.load(data)
    assert (await contact()).opted_out_at is None  # consent given again, by the host's import


async def test_a_campaign_draft_is_imported_checked_and_never_rewritten_once_launched(stack):
    data = f.marketing_org(stack.slug)
    data["campaigns"] = [{"key": "promo", "name": "Promo", "template": "first", "tag": "newsletter",
                          "account": "C1"}, {"key": "promo2", "name": "P", "template": "tips", "contact": "nobody"}]
    with pytest.raises(ImportRejected) as refused:
        await stack.load(data)
    problems = "\n".join(refused.value.problems)
    assert "campaign 'promo' › tag: give exactly one audience: tag, account or contact" in problems
    assert "template 'first' › subject: unknown merge field(s) [[!Number]]" in problems  # a marketing use
    assert "campaign 'promo2' › contact: unknown contact 'nobody'" in problems
    data["campaigns"] = [{"key": "promo", "name": "Promo", "template": "tips", "tag": "newsletter"}]
    report = await stack.load(data)
    assert report.counts["campaigns"] == 1
    await stack.mailer.verify(f.SENDER)
    handle = await marketing.launch_campaign(stack.client, stack.db, stack.task_queue, stack.slug, "promo", "c")
    assert (await handle.result()).sent == 1
    data["campaigns"][0]["name"] = "Renamed"
    report = await stack.load(data)
    assert report.counts["campaigns left as launched"] == 1
    shown = await marketing.campaign_report(stack.db, stack.slug, "promo")
    assert (shown.campaign.name, shown.campaign.state, shown.counts) == ("Promo", "finished", {"sent": 1})
