"""Reports over HTTP on the demo's data: the figures a finance manager reads (JSON, CSV, the CLI's
table), and another organisation's records never counted, whatever the period and filters."""

from __future__ import annotations

import copy
import csv
import io
from datetime import timedelta

import pytest

from relance.cli.stack import DEMO_FILE
from relance.demo.history import HISTORY, write_history
from relance.importing.importer import read_file
from tests import factories

DEMO = read_file(DEMO_FILE)["organisations"][0]
# The history's invoices with an address are reminded; those paid after a reminder are recovered.
REACHABLE = [row for row in HISTORY if row[0] != "C004"]
PAID = [row for row in REACHABLE if row[3]]


async def _demo(stack, slug: str, history: bool = True):
    org = copy.deepcopy(DEMO)
    org.update(slug=slug, agencies=[])
    await factories.load(stack.db, org, await stack.today())
    if history:
        await write_history(stack.db, slug, await stack.today())


@pytest.fixture
async def two_demos(api):
    await _demo(api.stack, api.stack.slug)
    await _demo(api.stack, api.stack.slug + "-other")
    return await api.stack.today()


async def test_the_dunning_report_counts_what_was_reminded_and_recovered_and_when(api, two_demos):
    today = two_demos
    answer = await api.get(f"/v1/reports/dunning?from={today - timedelta(days=200)}&to={today}")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    amounts = report["by_currency"][0]
    assert amounts["currency"] == "EUR"
    assert (amounts["reminded"], amounts["recovered"]) == (len(REACHABLE), len(PAID))
    assert float(amounts["reminded_amount"]) == sum(float(row[1]) for row in REACHABLE)
    assert float(amounts["recovered_amount"]) == sum(float(row[1]) for row in PAID)
    funnel = {step["step"]: step for step in report["funnel"]}
    assert [funnel[n]["label"] for n in sorted(funnel)] == ["Rappel", "Première relance", "Deuxième relance"]
    paid_after = {n: sum(1 for row in PAID if row[3] == i) for i, n in enumerate(sorted(funnel), start=1)}
    assert {n: step["paid_after"] for n, step in funnel.items()} == paid_after
    assert funnel[1]["reminded"] == len(REACHABLE)
    delays_after_first = sorted(row[4] for row in PAID if row[3] == 1)
    assert funnel[1]["median_days_to_payment"] == delays_after_first[len(delays_after_first) // 2]
    assert {row["reason"]: row["emails"] for row in report["not_sent"]} == {"no_recipient": 3 * 2}
    assert [(s["scenario"], s["reminded"]) for s in report["by_scenario"]] == [("default", len(REACHABLE))]
    version = report["by_scenario"][0]["version"]
    one = (await api.get(f"/v1/reports/dunning?from={today - timedelta(days=200)}&scenario=default&version={version}"))
    assert one.json()["by_currency"] == report["by_currency"]
    other = await api.get(f"/v1/reports/dunning?from={today - timedelta(days=200)}&scenario=default&version=99")
    assert other.json()["by_currency"][0]["reminded"] == 0
    weeks = report["weeks"]
    assert weeks[-1]["week_end"] == today.isoformat()
    unpaid = [row for row in HISTORY if not row[3]]
    # the demo's own overdue invoices not paid (F2026-0003: what is left of it; 0007: in payment, still due)
    live_overdue = 1200 + 540 + 1000 + 240 + 996 + 144 + 90 + 2880
    assert float(weeks[-1]["overdue_balance"]) == sum(float(row[1]) for row in unpaid) + live_overdue
    assert all(week["days_sales_outstanding"] is not None for week in weeks[-10:])


async def test_the_csv_export_has_the_figures(api, two_demos):
    today = two_demos
    answer = await api.get(f"/v1/reports/dunning?from={today - timedelta(days=200)}&format=csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert ["amounts", "EUR", str(len(REACHABLE))] == rows[1][:3]


@pytest.mark.parametrize("query", ["?from={long_ago}", "", "?scenario=default", "?scenario=default&version=2",
                                   "?from={long_ago}&format=csv"])
async def test_another_organisations_records_never_count(api, query):
    """The other organisation has the whole history, the key's has none of it: nothing of it shows."""
    await _demo(api.stack, api.stack.slug, history=False)
    await _demo(api.stack, api.stack.slug + "-other")
    query = query.format(long_ago=await api.stack.today() - timedelta(days=300))
    dunning = await api.get(f"/v1/reports/dunning{query}")
    assert dunning.status_code == 200, dunning.text
    if "csv" in query:
        assert "F2026-H" not in dunning.text and "\namounts,EUR,0," in dunning.text
        return
    report = dunning.json()
    assert report["organisation"] == api.stack.slug
    assert (report["by_currency"][0]["reminded"], report["funnel"], report["by_scenario"], report["not_sent"]) == (
        0, [], [], [])
    # its own invoices, none of the other's (with a scenario filter: only those a run of it handled, none)
    receivable = 0 if "scenario" in query else 1200 + 540 + 1000 + 240 + 996 + 144 + 90 + 2880 + 768
    assert float(report["weeks"][-1]["receivable"]) == receivable
    other_key = await api.key_for(api.stack.slug + "-other")
    theirs = (await api.get(f"/v1/reports/dunning{query}", key=other_key)).json()
    assert theirs["organisation"] == api.stack.slug + "-other"
    assert theirs["by_currency"][0]["reminded"] > 0 or "version" in query  # theirs is at version 1
    for kind in ("marketing", "pipeline"):
        answer = (await api.get(f"/v1/reports/{kind}{query}")).json()
        assert answer.get("rows", answer.get("rules")) == []


async def test_a_bad_period_is_refused_naming_the_field(api, two_demos):
    answer = await api.get("/v1/reports/dunning?from=2026-05-01&to=2026-04-01")
    assert answer.status_code == 422
    assert "from" in answer.json()["detail"]
    assert (await api.get("/v1/reports/dunning?version=2")).status_code == 422
    for query, field in (("to=0001-01-05", "to"), ("from=9999-12-31&to=9999-12-31", "from"), ("to=2201-01-01", "to")):
        answer = await api.get(f"/v1/reports/pipeline?{query}")
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"].startswith(f"the report's period or filters: {field}: "), answer.json()
    assert (await api.get("/v1/reports/dunning", key="nope")).status_code == 401


async def test_the_cli_prints_the_report_as_tables(api, two_demos, dev_stack):
    from tests.test_cli import relance

    _, _, env = dev_stack
    since = two_demos - timedelta(days=200)
    shown = await relance(env, "report", api.stack.slug, "--from", since.isoformat())
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(f"dunning report of {api.stack.slug}, {since} to ")
    amounts = lines[lines.index("amounts:") + 2].split()
    assert amounts[:2] == ["EUR", str(len(REACHABLE))] and amounts[3] == str(len(PAID))
    assert any(line.split()[:3] == ["1", "Rappel", str(len(REACHABLE))] for line in lines)
    refused = await relance(env, "report", api.stack.slug, "--from", "2026-05-01", "--to", "2026-04-01")
    assert refused.returncode != 0 and "from: 2026-05-01 is after to" in refused.stderr
    assert refused.returncode == 2 and "--debug" not in refused.stderr  # bad input said plainly, not a crash
