"""Seed 004's two examples end to end: entering R2 emails the salesperson the document link; winning
creates the administrative action due today; the timeline says what happened."""

from tests import factories as f
from tests.pipeline.data import ADMIN, SALESPERSON


async def test_entering_r2_emails_the_salesperson_and_winning_creates_the_administrative_action(pipe):
    await pipe.load()
    ack = await pipe.report("e1", stage="R2")
    assert ack.status == "handled"
    assert [o.split(":")[0] for o in ack.outcomes] == ["r2-email #1 send_email"]
    [email] = pipe.stack.sent()
    assert email["destinations"]["to"] == [SALESPERSON]
    assert email["subject"] == "Dupont CRM est en R2"
    assert "Bonjour Paul Vendeur" in email["text"] and "https://docs.example.com/fiche-r2.pdf" in email["text"]
    assert f.SENDER in email["source"]

    await pipe.report("e2", result="won")
    [action] = await pipe.actions()
    assert (action.type_key, action.title, action.state) == (
        "administrative", "Nouvelle opportunité gagnée - Gestion de la commande", "open")
    assert action.due_on == await pipe.stack.today()
    async with pipe.stack.db.session() as session:
        from models import AppUser
        assert (await session.get(AppUser, action.assignee_user_id)).email == ADMIN
    lines = await pipe.settled()
    assert [(line.kind, line.state) for line in lines] == [
        ("event", ""), ("automation", "done"), ("event", ""), ("automation", "done"), ("event", ""),
    ]
    assert "enters_stage R2" in lines[0].text and "stage_change R1 → R2" in lines[0].text
    assert "result won" in lines[2].text
    assert "caused by won-admin" in lines[4].text  # the action's creation, an event of its own
    assert len(pipe.stack.sent()) == 1
