"""Every automation kind does what it says, once, in the order the rule lists them."""

from datetime import timedelta

from sqlmodel import select

from models import EmailCampaign, FeedNotification, MarketingEnrolment, Opportunity
from relance.marketing import public as marketing
from relance.marketing.ids import marketing_workflow_id
from tests import factories as f
from tests.pipeline.conftest import poll
from tests.pipeline.data import OPP, SALESPERSON, pipeline_org, rule

ALL_KINDS = [
    {"do": "create_action", "type": "call", "title": "Rappeler le client", "assignee": "[[!AssignedToId]]",
     "due_in_days": 2, "business_days": True},
    {"do": "notify", "text": "Devis envoyé"},
    {"do": "enrol", "scenario": "welcome"},
    {"do": "send_email", "to": "contact", "sender": f.SENDER, "template": "r2-docs"},
    {"do": "add_tag", "tag": "devis"},
    {"do": "create_campaign", "template": "welcome", "name": "Suivi devis"},
]


async def test_every_automation_kind_runs_in_order_once(pipe):
    await pipe.load(rules=[rule("quote", {"when": "quote_sent"}, *ALL_KINDS),
                           rule("reopen", {"when": "quote_reopened"}, {"do": "unenrol", "scenario": "welcome"})])
    ack = await pipe.report("q1", kind="quote", quote="Q1", quote_state="sent")
    assert [o.split(":")[0] for o in ack.outcomes] == [
        "quote #1 create_action", "quote #2 notify", "quote #3 enrol", "quote #4 send_email", "quote #5 add_tag",
        "quote #6 create_campaign"]
    assert all(": done" in o for o in ack.outcomes), ack.outcomes
    s = pipe.stack
    # create_action: the salesperson's, due two business days later in the organisation's zone
    [action] = await pipe.actions()
    assert (action.type_key, action.title) == ("call", "Rappeler le client")
    today = await s.today()
    assert action.due_on > today and action.due_on.weekday() < 5
    assert action.due_on - today <= timedelta(days=4)
    async with s.db.session() as session:
        from models import AppUser
        assert (await session.get(AppUser, action.assignee_user_id)).email == SALESPERSON
        [note] = (await session.exec(select(FeedNotification))).all()
        opp = (await session.exec(select(Opportunity).where(Opportunity.ref == OPP))).one()
        [campaign] = (await session.exec(select(EmailCampaign))).all()
        enrolments = (await session.exec(select(MarketingEnrolment))).all()
    assert note.text == "Devis envoyé"
    assert opp.tags == ["devis"]
    assert (campaign.key, campaign.state, campaign.name) == (f"quote-{OPP}", "draft", "Suivi devis")
    assert [e.scenario_key for e in enrolments] == ["welcome"]
    # send_email to the opportunity's contact (and the welcome scenario's first email, to the same contact)
    await pipe.settled()
    contact_mail = [m for m in s.sent() if m["subject"] == "Dupont CRM est en R1"]
    assert [m["destinations"]["to"] for m in contact_mail] == [["billing@dupont.example.org"]]

    removed = await pipe.report("q2", kind="quote", quote="Q1", quote_state="reopened")
    assert "removed from welcome" in removed.outcomes[0]
    handle = s.client.get_workflow_handle(marketing_workflow_id(s.slug, "welcome", "C1-billing"))
    assert (await handle.result())["reason"] == "removed"
    again = await pipe.report("q3", kind="quote", quote="Q1", quote_state="sent")
    assert "already_running" not in " ".join(again.outcomes)
    async with s.db.session() as session:
        assert (await session.exec(select(Opportunity).where(Opportunity.ref == OPP))).one().tags == ["devis"]


async def test_a_contact_enrolled_by_an_automation_gets_the_opportunitys_fields_in_the_scenarios_emails(pipe):
    s = pipe.stack
    data = pipeline_org(s.slug, rules=[rule("won", {"when": "result", "result": "won"},
                                            {"do": "enrol", "scenario": "suivi"})])
    data["templates"].append({"key": "suivi", "name": "Suivi", "subject": "Votre projet [[!OpportunityName]]",
                              "body": "Bonjour [[!FirstName]], [[!AssignedToName]] suit [[!OpportunityRef]]."})
    data["marketing_scenarios"].append({"key": "suivi", "name": "Suivi", "reentry": True,
                                        "steps": [{"kind": "email", "label": "Suivi", "template": "suivi"}]})
    await s.mailer.verify(f.SENDER)
    await s.load(data)
    assert "enrolment started" in (await pipe.report("w1", result="won")).outcomes[0]
    handle = s.client.get_workflow_handle(marketing_workflow_id(s.slug, "suivi", "C1-billing"))
    await handle.result()
    [mail] = [m for m in s.sent() if m["subject"].startswith("Votre projet")]
    assert mail["subject"] == "Votre projet Dupont CRM"
    assert f"Paul Vendeur suit {OPP}." in mail["text"]
    # Enrolled by a person, the same scenario has no opportunity: its fields are empty, the email still goes.
    await marketing.enrol(s.client, s.db, s.task_queue, s.slug, "suivi", "C1-billing", by="anne")
    async def both_sent() -> bool:
        return len(projects()) == 2

    def projects() -> list[str]:
        return [m["subject"].strip() for m in s.sent() if m["subject"].startswith("Votre projet")]
    await poll(both_sent)
    assert projects()[-1] == "Votre projet"
