"""Bad input gets an error naming the record and the field, and nothing of the file is written."""

import pytest
from sqlalchemy import func
from sqlmodel import select

from models import Invoice, Organisation, Scenario
from relance.importing.importer import ImportRejected
from starter.importing import import_data
from tests import factories as f


async def rejected(db, organisation: dict, today) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        await import_data(db, {"organisations": [organisation]}, "bad.yaml", today)
    async with db.session() as session:
        assert (await session.exec(select(func.count()).select_from(Organisation))).one() == 0
        assert (await session.exec(select(func.count()).select_from(Invoice))).one() == 0
    return caught.value.problems


def steps_with(extra: list) -> list:
    return [*f.ONE_REMINDER, *extra]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda o: o["accounts"][0]["contacts"][0].update(email="not-an-address"),
         "accounts[0] 'C1' › contacts[0] 'C1-billing' › email"),
        (lambda o: o["invoices"].append(f.invoice(contact="C9")),
         "invoice 'F-1' › contact: unknown contact 'C9'"),
        (lambda o: o["scenarios"][0]["steps"].append({"kind": "pause", "label": "Back", "days": -2}),
         "scenarios[0] 'default' › steps[6] 'Back' › days"),
        (lambda o: o["scenarios"][0].update(steps=[{"kind": "pause", "label": "P", "days": 1}]),
         "scenario 'default' › steps: needs 1 to 5 email steps, has 0"),
        (lambda o: o["scenarios"][0].update(steps=[f.ONE_REMINDER[0]] * 6),
         "scenario 'default' › steps: needs 1 to 5 email steps, has 6"),
        (lambda o: o["templates"][0].update(body="Bonjour [[!Prenom]] [[!Ville]]"),
         "template 'rappel' › body: unknown merge field(s) [[!Prenom]], [[!Ville]]"),
        (lambda o: o["templates"][1].update(subject="Facture {{ Number "),
         "template 'first' › subject: unexpected end of template"),
        (lambda o: o["templates"][1].update(body="{{ Number | nosuchfilter }} {{ undefined_thing }}"),
         "template 'first' › fails to render: body"),
        (lambda o: o.update(timezone="Europe/Atlantis"), "timezone: Value error, unknown time zone"),
        (lambda o: o["invoices"].append(f.invoice(due="31/12/2026")), "invoices[0] 'F-1' › due_date"),
        (lambda o: o["scenarios"][0]["steps"].append({"kind": "email", "label": "X", "template": "nope"}),
         "step 7 'X' › template: unknown template 'nope'"),
        (lambda o: o["dunning"].update(sender="ghost@example.com"), "dunning.sender: 'ghost@example.com'"),
        (lambda o: o.update(contracts=[f.contract(account="NOPE")]),
         "contract 'CT-1' › account: unknown account 'NOPE'"),
        (lambda o: o.update(contracts=[f.contract(billing_contact="C9")]),
         "contract 'CT-1' › billing_contact: unknown contact 'C9'"),
        (lambda o: o.update(contracts=[f.contract(period="weekly")]), "contracts[0] 'CT-1' › period"),
        (lambda o: o.update(contracts=[f.contract(period="multi_year")]),
         "contract 'CT-1' › years: a multi-year period needs its number of years"),
        (lambda o: o.update(contracts=[f.contract(years=2)]), "contract 'CT-1' › years: only a multi_year period"),
        (lambda o: o.update(renewals={**f.RENEWALS, "alert_days": 0}), "renewals › alert_days"),
        (lambda o: o.update(renewals={**f.RENEWALS, "template": "first"}),
         "renewals.template 'first' › subject: unknown merge field(s) [[!Number]]"),
        (lambda o: o.update(renewals={"enabled": True, "template": "renewal"}),
         "renewals.sender: renewal notices need a sender"),
    ],
    ids=["invalid-email", "unknown-contact", "negative-pause", "no-email-step", "six-email-steps",
         "unknown-merge-fields", "template-syntax", "template-fails-to-render", "unknown-time-zone",
         "bad-date", "unknown-template", "unknown-sender", "contract-unknown-account", "contract-unknown-contact",
         "contract-bad-period", "multi-year-without-years", "years-without-multi-year", "alert-days-zero",
         "renewal-template-with-invoice-fields", "renewals-without-sender"],
)
async def test_bad_input_is_named_and_nothing_is_written(db, clean, change, expected):
    organisation = f.org()
    change(organisation)
    problems = await rejected(db, organisation, f.date(2026, 11, 24))
    assert any(expected in p for p in problems), problems


async def test_every_problem_of_the_file_is_listed_at_once(db, clean):
    organisation = f.org(timezone="Mars/Olympus")
    organisation["invoices"] = [f.invoice(account="NOPE"), f.invoice("F-2", amount_incl_tax="-1")]
    with pytest.raises(ImportRejected) as caught:
        await import_data(db, {"organisations": [organisation]}, "bad.yaml", f.date(2026, 11, 24))
    assert len(caught.value.problems) >= 2
    assert "bad.yaml" in str(caught.value)


async def test_reimport_updates_in_place_and_new_scenario_steps_make_a_new_version(db, clean):
    today = f.date(2026, 11, 24)
    first = await import_data(db, {"organisations": [f.org(invoices=[f.invoice()])]}, "a", today)
    again = await import_data(db, {"organisations": [f.org(invoices=[f.invoice(amount_incl_tax="1300.00")])]},
                              "a", today)
    assert first.new_invoices == [("acme", "F-1")] and again.new_invoices == []
    assert again.changed_invoices == [("acme", "F-1")]
    changed = await import_data(db, {"organisations": [f.org(f.ONE_REMINDER)]}, "a", today)
    async with db.session() as session:
        org = (await session.exec(select(Organisation))).one()
        versions = (await session.exec(select(Scenario.version).order_by(Scenario.version))).all()
    assert versions == [1, 2]
    assert changed.organisations[0].default_scenario_id == org.default_scenario_id
