"""The demo's two agencies: every tab filled, one draft expiring, one to withdraw, each agency's staff
seeing only their own agency, and the morning summary emailed to the staff who ask for it."""

from relance.cli.stack import DEMO_FILE
from relance.importing.importer import read_file
from starter import agency


async def test_the_demo_fills_every_tab_and_has_a_draft_to_withdraw(stack):
    await stack.load(read_file(DEMO_FILE)["organisations"][0])
    for slug in ("mer", "montagne"):
        await stack.mailer.verify(f"resa@{slug}.example")
        await agency.draft_day(stack.client, stack.task_queue, "demo", slug)
    mer = await agency.day_summary(stack.db, "demo", "mer")
    assert mer.waiting == {"balance": 1, "arrival": 2, "option": 2, "after_departure": 2}
    assert sorted(d.kind for d in mer.expiring) == ["after_departure", "balance", "option", "option"]
    montagne = await agency.day_summary(stack.db, "demo", "montagne")
    assert montagne.waiting == {"balance": 1, "arrival": 1, "option": 0, "after_departure": 0}
    assert [a.slug for a in await agency.agencies_of(stack.db, "demo", "Staff@Demo.example")] == ["mer"]
    assert [a.slug for a in await agency.agencies_of(stack.db, "demo", "staff-b@demo.example")] == ["montagne"]

    [option] = [line.draft for line in await agency.tab_drafts(stack.db, "demo", "mer", "option")
                if line.booking.reference == "MER-104"]
    history = await agency.booking_history(stack.db, "demo", "mer", "MER-104")
    b = history.booking
    report = await agency.report_booking(stack.client, stack.db, stack.task_queue, "demo", "mer", {
        "reference": "MER-104", "property": "PINS", "guest_name": b.guest_name, "guest_email": b.guest_email,
        "arrival": b.arrival.isoformat(), "departure": b.departure.isoformat(), "status": "confirmed"})
    assert report.withdrawn == [(option.id, "option_confirmed")]

    summaries = [m for m in stack.sent() if m["destinations"]["to"][0].endswith("@demo.example")]
    assert sorted((m["destinations"]["to"][0], m["subject"]) for m in summaries) == [
        ("staff-b@demo.example", "Agence de la Montagne : 2 e-mails à envoyer aujourd'hui"),
        ("staff@demo.example", "Agence de la Mer : 7 e-mails à envoyer aujourd'hui")]
    mer = next(m for m in summaries if "Mer" in m["subject"])["body"]  # in French, the agencies' language
    assert "Rappel arrivées\u00a0: 2" in mer and "http://127.0.0.1:8000/outbox/agencies/mer" in mer
