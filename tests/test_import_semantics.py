"""An import changes what it names and nothing else (issue 21): a host that syncs part of its data
finds every setting, scenario, template and record it did not send as it was; an explicit null
clears, `deleted: true` deletes; a dry run says what a file would change and writes nothing."""

import asyncio
import copy
import json
import os
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel, select

from models import Account, Contact, Contract, Organisation, RenewalSettings
from relance import repository
from relance.cli.stack import DEMO_FILE
from relance.importing.changes import as_json, lines
from relance.importing.importer import ImportRejected, import_day, read_file
from starter.importing import import_data
from tests import cli_fork
from tests import factories as f

TODAY = date(2026, 11, 24)
DEMO = read_file(DEMO_FILE)


def demo_org() -> dict:
    return copy.deepcopy(DEMO["organisations"][0])


async def snapshot(db) -> dict[str, set[tuple]]:
    """Every row of every table, as text (a whole database to compare before and after)."""
    async with db.engine.connect() as conn:
        return {t.name: {tuple(map(str, row)) for row in await conn.execute(text(f'SELECT * FROM "{t.name}"'))}
                for t in SQLModel.metadata.sorted_tables}


async def load(db, organisation: dict, **kwargs):
    return await import_data(db, {"organisations": [organisation]}, "test", TODAY, **kwargs)


# What a host syncing its data sends: the organisation, one account and one invoice.
PARTIAL = {"slug": "demo", "accounts": [{"ref": "C009", "name": "Fleurs Martin"}],
           "invoices": [{"number": "F2026-0100", "account": "C009", "invoice_date": "today-10",
                         "due_date": "today+20", "amount_excl_tax": "100.00", "amount_incl_tax": "120.00",
                         "creator": "paul.durand@example.com"}]}  # a user stored, not in the file


async def test_a_partial_file_adds_its_records_and_leaves_everything_else_as_it_was(db, clean):
    organisation = demo_org()
    organisation["dunning"]["send_window"] = ["08:00", "18:00"]
    organisation["renewals"]["alert_days"] = 10
    await load(db, organisation)
    before = await snapshot(db)

    report = await load(db, PARTIAL)

    after = await snapshot(db)
    assert {name for name in before if before[name] != after[name]} == {"account", "invoice"}
    assert before["account"] < after["account"] and len(after["account"] - before["account"]) == 1
    assert before["invoice"] < after["invoice"] and len(after["invoice"] - before["invoice"]) == 1
    async with db.session() as session:
        org = (await session.exec(select(Organisation))).one()
        renewals = (await session.exec(select(RenewalSettings))).one()
    assert (org.dunning_enabled, org.dunning_apply_to_new_invoices, org.send_window_start) == (True, True, time(8))
    assert (renewals.enabled, renewals.alert_days) == (True, 10)
    assert report.new_invoices == [("demo", "F2026-0100")]
    assert not any(s.updated for s in report.changes.sections.values())


async def test_an_explicit_null_clears_and_deleted_true_deletes_until_the_file_says_otherwise(db, clean):
    await load(db, demo_org())
    await load(db, {"slug": "demo", "dunning": {"sender": None},
                    "accounts": [{"ref": "C001", "email": None, "contacts": [{"ref": "C001-1", "deleted": True}]}],
                    "contracts": [{"ref": "CT-001", "account": "C001", "billing_contact": None,
                                   "start_date": "today-340", "period": "yearly"}]})
    await load(db, {"slug": "demo", "accounts": [{"ref": "C001", "contacts": [{"ref": "C001-1", "first_name": "J."}]}]})
    async with db.session() as session:
        org = (await session.exec(select(Organisation))).one()
        account = (await session.exec(select(Account).where(Account.ref == "C001"))).one()
        contact = (await session.exec(select(Contact).where(Contact.ref == "C001-1"))).one()
        contract = (await session.exec(select(Contract).where(Contract.ref == "CT-001"))).one()
    assert org.default_sender_user_id is None and org.dunning_enabled
    assert (account.name, account.email) == ("Boulangerie Dupont", None)
    assert contact.deleted_at is not None and (contact.first_name, contact.last_name) == ("J.", "Dupont")
    assert contract.billing_contact_id is None and contract.amount == 1200  # not named: kept


async def problems(db, organisation: dict) -> list[str]:
    try:
        await load(db, organisation)
    except ImportRejected as rejected:
        return rejected.problems
    raise AssertionError("imported")


async def test_a_new_record_needs_what_a_stored_one_may_leave_out_and_a_name_is_never_cleared(db, clean):
    assert await problems(db, {"slug": "nouvelle", "accounts": [{"ref": "A1"}]}) == [
        "organisation 'nouvelle' › name: a new organisation needs it",
        "organisation 'nouvelle' › account 'A1' › name: a new account needs it"]
    await load(db, demo_org())
    assert await problems(db, {"slug": "demo", "name": None, "accounts": [{"ref": "C001", "name": None}]}) == [
        "organisation 'demo' › name: cannot be null", "organisation 'demo' › account 'C001' › name: cannot be null"]
    assert await problems(db, {"slug": "demo", "renewals": {"template": None}}) == [
        "organisation 'demo' › renewals.template: renewal notices need a template"]


async def test_the_dry_run_of_the_demo_with_one_change_reports_that_change_and_writes_nothing(db, clean):
    await load(db, demo_org())
    before = await snapshot(db)
    organisation = demo_org()
    organisation["accounts"][2]["email"] = "factures@cafe-lefevre.example.org"

    report = await load(db, organisation, dry_run=True)

    assert await snapshot(db) == before
    changed = [(s["organisation"], s["section"], s["created"], s["updated"]) for s in as_json(report.changes)
               if s["created"] or s["updated"]]
    assert changed == [("demo", "accounts", [], {"C003": {"email": {
        "before": "compta@cafe-lefevre.example.org", "after": "factures@cafe-lefevre.example.org"}}})]
    assert "  ~ C003: email: 'compta@cafe-lefevre.example.org' -> 'factures@cafe-lefevre.example.org'" in lines(
        report.changes)
    unchanged = await load(db, demo_org(), dry_run=True)
    assert not unchanged.changes.changed


async def test_relance_import_dry_run_says_what_would_change_and_writes_nothing(db, clean, settings, tmp_path):
    await load(db, demo_org())
    organisation = demo_org()
    organisation["dunning"]["enabled"] = False
    path = tmp_path / "demo.json"
    path.write_text(json.dumps({"organisations": [organisation]}))
    env = {**os.environ, "RELANCE_DATABASE_URL": settings.database_url}
    result = await asyncio.to_thread(cli_fork.run, ["import", "--dry-run", str(path)], env)
    assert result.returncode == 0, result.stderr
    assert "demo › settings: 0 created, 1 updated, 0 unchanged" in result.stdout
    assert "  ~ demo: dunning_enabled: True -> False" in result.stdout
    async with db.session() as session:
        assert (await session.exec(select(Organisation))).one().dunning_enabled


async def test_a_partial_agency_and_pipeline_reach_their_stored_records_and_keep_what_they_leave_out(db, clean):
    await load(db, demo_org())
    await load(db, {"slug": "demo", "pipeline": {"opportunities": [
                        {"ref": "OPP-002", "process": "ventes", "stage": "R2", "account": "C002"}]},
                    "agencies": [{"slug": "mer", "name": "Agence de la Mer", "sender_email": "resa@mer.example",
                                  "kinds": {"arrival": {"delay_days": 5}},
                                  "bookings": [{"reference": "MER-109", "property": "PINS", "guest_name": "Eva Roy",
                                                "guest_email": "eva@example.org", "arrival": "today+9",
                                                "departure": "today+12"}]}]})
    async with db.session() as session:
        rows = (await session.exec(text(
            "SELECT k.enabled, k.delay_days, a.send_window_end, (SELECT count(*) FROM agencytemplate t "
            "WHERE t.agency_id = a.id AND t.kind = 'arrival') FROM agencykindsetting k JOIN agency a "
            "ON a.id = k.agency_id WHERE a.slug = 'mer' AND k.kind = 'arrival'"))).one()
        opportunity = (await session.exec(text("SELECT stage_key FROM opportunity WHERE ref = 'OPP-002'"))).one()
    assert tuple(rows) == (True, 5, time(23, 59, 59), 2)
    assert opportunity[0] == "R2"


@pytest.mark.parametrize(("raw", "day"), [
    ({"organisations": [{"slug": "a", "timezone": "Europe/Paris"}]}, date(2026, 12, 8)),
    ({"organisations": [{"slug": "a", "timezone": "America/New_York"}]}, date(2026, 12, 7)),
    ({"organisations": [{"slug": "a"}]}, date(2026, 12, 8)),  # the format's default zone: Paris
    ({"organisations": [{"slug": "a", "timezone": "Mars/Olympus"}]}, date(2026, 12, 8)),  # refused later, named
    ("not a mapping", date(2026, 12, 8)),
])
def test_relative_dates_count_from_the_organisations_day_not_utcs(raw, day):
    """At 23:30 UTC it is already the next day in Paris: "today" in a file is the organisation's."""
    assert import_day(raw, datetime(2026, 12, 7, 23, 30, tzinfo=UTC)) == day


async def test_a_payment_or_invoice_the_host_sends_alone_counts_its_days_as_the_organisation_does(db, clean):
    """The API's invoice and payment and `relance pay` take "today" (a payment's date left out, a
    "today-N") from here: at 23:30 UTC it is already tomorrow in Paris, still today in New York."""
    await f.load(db, f.org(slug="paris", timezone="Europe/Paris"), TODAY)
    await f.load(db, f.org(slug="ny", timezone="America/New_York"), TODAY)
    late_evening = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    assert await repository.organisation_today(db, "paris", late_evening) == date(2026, 12, 8)
    assert await repository.organisation_today(db, "ny", late_evening) == date(2026, 12, 7)
    with pytest.raises(repository.NotFound, match="organisation 'nowhere' not found"):
        await repository.organisation_today(db, "nowhere", late_evening)
