"""Bad input at the command line, as a person makes it: every case is refused with one sentence that
names what is wrong (the file, the record, the field, or the variable), never a traceback, and nothing
is written (every table's row count is the same after). The CLI runs in-process (relance.cli.main.run),
in a thread so the test's worker keeps polling."""

import asyncio
import copy
import json

import pytest
import yaml
from sqlalchemy import func, select
from sqlmodel import SQLModel

from relance import limits
from relance.cli import main as cli
from tests import factories as f

SLUG = "bad-inputs"


def base() -> dict:
    return f.org(slug=SLUG, invoices=[f.invoice(payments=[{"ref": "P1", "amount": "100.00", "paid_on": "today-5"}])],
                 contracts=[f.contract()])


def changed(change) -> dict:
    organisation = copy.deepcopy(base())
    organisation["slug"] = "bad-new"  # a new organisation: none of it may be written
    change(organisation)
    return {"organisations": [organisation]}


def invoice_with(**fields):
    return lambda o: o["invoices"][0].update(fields)


def step_with(**fields):
    return lambda o: o["scenarios"][0]["steps"].append({"kind": "pause", "label": "Wait", **fields})


def twice(key: str, pick):
    def change(o):
        o[key].append(copy.deepcopy(pick(o)))
    return change


def laughs() -> str:
    text, previous = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n', "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 10) + "]\n"
        previous = name
    return text + "organisations: [*i]\n"


LONG = "X" * 2000

# name -> (file content: dict (YAML), ("json", dict), str or bytes as is; expected words in the message)
FILES = {
    "empty file": ("", ["the file is empty"]),
    "only a comment": ("# nothing\n", ["the file is empty"]),
    "top-level list": ("- acme\n- other\n", ["top level is a list", "organisations:"]),
    "top-level text": ("hello\n", ["top level is a text"]),
    "organisations not a list": ({"organisations": {"slug": "x"}}, ["organisations", "valid list"]),
    "misspelt top key": ({"organisation": []}, ["organisations", "Field required"]),
    "an organisation that is text": ({"organisations": ["acme"]}, ["organisations[0]"]),
    "not UTF-8": (b"organisations:\n  - slug: caf\xe9\n", ["not UTF-8", "line 2"]),
    "NUL in the text": ("organisations:\n  - slug: a\x00b\n", ["NUL", "line 2"]),
    "NUL in a JSON string": (("json", changed(lambda o: o["accounts"][0].update(name="Dupont\u0000SA"))),
                             ["accounts[0] 'C1' › name", "NUL"]),
    "YAML syntax": ("organisations: [\n", ["not valid YAML"]),
    "JSON syntax": (("json-text", '{"organisations": [}'), ["not valid JSON"]),
    "YAML aliases expanding": (laughs(), ["more than", "aliases"]),
    "unquoted impossible date": ("organisations:\n  - slug: x\n    name: X\n    invoices:\n      - number: F-1\n"
                                 "        account: C1\n        invoice_date: 2026-01-01\n        due_date: 2026-02-30\n"
                                 "        amount_excl_tax: 1\n        amount_incl_tax: 1\n",
                                 ["invoices[0] 'F-1' › due_date", "2026-02-30"]),
    "date far in the future": (changed(invoice_with(due_date="9999-12-31")), ["due_date", "between 1900 and 2200"]),
    "relative date too far": (changed(invoice_with(due_date="today+999999999")), ["due_date", "today"]),
    "date as day/month/year": (changed(invoice_with(due_date="31/12/2026")), ["due_date", "YYYY-MM-DD"]),
    "amount 1e20 (JSON number)": (("json", changed(invoice_with(amount_incl_tax=1e20))),
                                  ["invoice 'F-1' › amount_incl_tax", "at most 9999999999.99"]),
    "amount 1e20 (text)": (changed(invoice_with(amount_incl_tax="1e20")), ["amount_incl_tax", "at most"]),
    "amount NaN": (changed(invoice_with(amount_incl_tax="NaN")), ["amount_incl_tax", "finite"]),
    "amount Infinity (JSON)": (("json-text", json.dumps(changed(lambda o: None)).replace(
        '"amount_incl_tax": "1200.00"', '"amount_incl_tax": Infinity')), ["amount_incl_tax", "finite"]),
    "amount negative": (changed(invoice_with(amount_excl_tax="-5")), ["amount_excl_tax", "greater than or equal"]),
    "amount not a number": (changed(invoice_with(amount_incl_tax="lots")), ["amount_incl_tax", "decimal"]),
    "amount with 3 decimals in EUR": (changed(invoice_with(amount_incl_tax="1200.001")),
                                      ["amount_incl_tax", "more decimals than EUR allows (2)", "not rounded"]),
    "amount with decimals in JPY": (changed(lambda o: (o.update(currency="JPY"),
                                                       o["invoices"][0].update(amount_incl_tax="1200.5"))),
                                    ["amount_incl_tax", "JPY allows (0)"]),
    "currency EURO": (changed(lambda o: o.update(currency="EURO")),
                      ["currency", "unknown currency 'EURO'", "ISO 4217"]),
    "currency in lower case": (changed(lambda o: o.update(currency="eur")), ["currency", "'eur'"]),
    "payment of 0": (changed(lambda o: o["invoices"][0]["payments"][0].update(amount="0")),
                     ["payments[0] 'P1' › amount", "greater than 0"]),
    "payment with 3 decimals": (changed(lambda o: o["invoices"][0]["payments"][0].update(amount="0.001")),
                                ["payment 'P1' › amount", "more decimals"]),
    "contract amount beyond the column": (changed(lambda o: o["contracts"][0].update(amount="12345678901")),
                                          ["contract 'CT-1' › amount", "at most"]),
    "payment ref twice on an invoice": (changed(lambda o: o["invoices"][0]["payments"].append(
                                            {"ref": "P1", "amount": "50.00", "paid_on": "today-2"})),
                                        ["invoice 'F-1' › payment 'P1': appears 2 times"]),
    "organisation twice": (("raw-dict", {"organisations": [changed(lambda o: None)["organisations"][0]] * 2}),
                           ["organisation 'bad-new': appears 2 times in the file"]),
    "invoice twice": (changed(twice("invoices", lambda o: o["invoices"][0])), ["invoice 'F-1': appears 2 times"]),
    "account twice": (changed(twice("accounts", lambda o: o["accounts"][0])), ["account 'C1': appears 2 times"]),
    "contact twice": (changed(lambda o: o["accounts"][0]["contacts"].append(o["accounts"][0]["contacts"][0])),
                      ["contact 'C1-billing': appears 2 times"]),
    "template twice": (changed(twice("templates", lambda o: o["templates"][0])), ["template 'rappel': appears 2"]),
    "scenario twice": (changed(twice("scenarios", lambda o: o["scenarios"][0])), ["scenario 'default': appears 2"]),
    "contract twice": (changed(twice("contracts", lambda o: o["contracts"][0])), ["contract 'CT-1': appears 2"]),
    "user twice": (changed(twice("users", lambda o: o["users"][0])), ["user 'compta@example.com': appears 2"]),
    "invoice number of 2000 characters": (changed(invoice_with(number=LONG)), ["number", "at most 200 characters"]),
    "account ref of 2000 characters": (changed(lambda o: o["accounts"][0].update(ref=LONG)),
                                       ["accounts[0]", "ref", "at most 200"]),
    "slug of 2000 characters": (changed(lambda o: o.update(slug="a" * 2000)), ["slug", "at most 200"]),
    "contract ref of 2000 characters": (changed(lambda o: o["contracts"][0].update(ref=LONG)),
                                        ["contracts[0]", "ref", "at most 200"]),
    "payment ref of 2000 characters": (changed(lambda o: o["invoices"][0]["payments"][0].update(ref=LONG)),
                                       ["payments[0]", "ref", "at most 200"]),
    "invoice number with a space": (changed(invoice_with(number="F 1")), ["number", "pattern"]),
    "organisation name of 10,000 characters": (changed(lambda o: o.update(name="N" * 10_000)),
                                               ["name", "at most 500 characters"]),
    "pause of 10^9 days": (changed(step_with(days=10**9)), ["steps[6] 'Wait' › days", "between 0 and 3650"]),
    "offset of 10^9 days": (changed(lambda o: o["scenarios"][0]["steps"][0].update(offset_days=10**9)),
                            ["steps[0] 'Rappel' › offset_days", "3650"]),
    "offset of -10^9 days": (changed(lambda o: o["scenarios"][0]["steps"][0].update(offset_days=-10**9)),
                             ["offset_days", "between -3650 and 3650"]),
    "task due in 10^6 days": (changed(lambda o: o["scenarios"][0]["steps"][5]["task"].update(due_in_days=10**6)),
                              ["task › due_in_days", "3650"]),
    "renewal alert of 100,000 days": (changed(lambda o: o.update(renewals={**f.RENEWALS, "alert_days": 100_000})),
                                      ["renewals › alert_days", "3650"]),
    "multi-year of 1000 years": (changed(lambda o: o["contracts"][0].update(period="multi_year", years=1000)),
                                 ["contracts[0] 'CT-1' › years", "99"]),
    "template rendering 1 MB": (changed(lambda o: o["templates"][0].update(
        body="{% for i in range(10000) %}" + "x" * 110 + "{% endfor %}")), ["template 'rappel'", "more than 512 KB"]),
    "template looping a billion times": (changed(lambda o: o["templates"][0].update(
        body="{% for i in range(10**9) %}{% endfor %}")), ["template 'rappel'", "at most 10,000"]),
    "template multiplying text": (changed(lambda o: o["templates"][0].update(body='{{ "x" * 300000000 }}')),
                                  ["template 'rappel'", "512 KB"]),
    "template of 200,000 characters": (changed(lambda o: o["templates"][0].update(body="y" * 200_000)),
                                       ["templates[0] 'rappel' › body", "at most 100000 characters"]),
    "a number as a pause": (changed(step_with(days="ten")), ["steps[6] 'Wait' › days", "integer"]),
}

PAY = {
    "pay -50": (["pay", SLUG, "F-1", "-50", "--ref", "N1"], ["field amount", "positive"]),
    "pay 0": (["pay", SLUG, "F-1", "0", "--ref", "N2"], ["field amount", "positive"]),
    "pay NaN": (["pay", SLUG, "F-1", "NaN", "--ref", "N3"], ["field amount", "not a number"]),
    "pay 1e20": (["pay", SLUG, "F-1", "1e20", "--ref", "N4"], ["field amount", "at most 9999999999.99"]),
    "pay 0.001": (["pay", SLUG, "F-1", "0.001", "--ref", "N5"], ["field amount", "more decimals than EUR"]),
    "pay an amount that is a word": (["pay", SLUG, "F-1", "lots"], ["not an amount: 'lots'"]),
    "pay with a ref of 2000 characters": (["pay", SLUG, "F-1", "10", "--ref", LONG], ["field ref", "at most 200"]),
    "pay with a ref already recorded": (["pay", SLUG, "F-1", "10", "--ref", "P1"],
                                        ["payment 'P1'", "already recorded", "nothing changed"]),
    "pay with a bad date": (["pay", SLUG, "F-1", "10", "--date", "2026-02-30"], ["--date"]),
    "pay an unknown invoice": (["pay", SLUG, "NOPE", "10"], ["'NOPE'"]),
    "sweep an unknown organisation": (["sweep", "--org", "nope"], ["organisation 'nope'"]),
    "show an unknown organisation": (["show", "nope", "F-1"], ["nope"]),
    "activate an unknown organisation": (["activate", "nope", "on"], ["nope"]),
    "activate with a bad state": (["activate", SLUG, "maybe"], ["'maybe' is not one of 'on', 'off'"]),
    "wizard with a first reminder 10^9 days out": (
        ["scenario", "init", SLUG, "--first-days", "1000000000", "--second-days", "5", "--sender", f.SENDER],
        ["--first-days", "between -3650 and 3650"]),
    "wizard with a negative pause": (
        ["scenario", "init", SLUG, "--first-days", "5", "--second-days", "-5", "--sender", f.SENDER],
        ["second_days", "0 or more"]),
}

ENVIRONMENT = {
    "RELANCE_WORKFLOW_CACHE=lots": ({"RELANCE_WORKFLOW_CACHE": "lots"}, ["RELANCE_WORKFLOW_CACHE", "whole number"]),
    "RELANCE_WORKFLOW_CACHE=-1": ({"RELANCE_WORKFLOW_CACHE": "-1"}, ["RELANCE_WORKFLOW_CACHE", "between 0 and"]),
    "RELANCE_SES_RATE=fast": ({"RELANCE_SES_RATE": "fast"}, ["RELANCE_SES_RATE", "a number"]),
    "RELANCE_CODEC_PORT=99999": ({"RELANCE_CODEC_PORT": "99999"}, ["RELANCE_CODEC_PORT", "between 1 and 65535"]),
    "RELANCE_TEMPORAL_UI_PORT=x": ({"RELANCE_TEMPORAL_UI_PORT": "x"}, ["RELANCE_TEMPORAL_UI_PORT"]),
}


async def row_counts(db) -> dict[str, int]:
    """Every table's row count, in one query (one round trip, not one a table)."""
    counts = [select(func.count()).select_from(table).scalar_subquery().label(table.name)
              for table in SQLModel.metadata.sorted_tables]
    async with db.engine.connect() as conn:
        return dict((await conn.execute(select(*counts))).mappings().one())


@pytest.fixture
async def cli_env(dev_stack, db, mailer, monkeypatch):
    _, _, env = dev_stack
    await mailer.verify(f.SENDER)
    for name in ("RELANCE_DATABASE_URL", "RELANCE_SES_ENDPOINT", "RELANCE_TEMPORAL_ADDRESS", "RELANCE_TASK_QUEUE"):
        monkeypatch.setenv(name, env[name])
    await f.load(db, base(), f.date.today())
    return monkeypatch


async def refused(db, capsys, argv: list[str], expected: list[str]) -> str:
    before = await row_counts(db)
    capsys.readouterr()
    code = await asyncio.to_thread(cli.run, argv)
    out, err = capsys.readouterr()
    message = (out + err).strip()
    assert code != 0, message
    assert "Traceback" not in message
    for words in expected:
        assert words in message, f"{words!r} not in: {message}"
    assert await row_counts(db) == before
    print(f"\nOUTCOME {argv[0]} | {message.splitlines()[-1][:160] if message else ''}")
    return message


def write(tmp_path, name: str, content) -> str:
    if isinstance(content, tuple):
        kind, data = content
        path = tmp_path / f"{name}.json"
        if kind == "json":
            path.write_text(json.dumps(data), encoding="utf-8")
        elif kind == "json-text":
            path.write_text(data, encoding="utf-8")
        else:  # a dict written as YAML
            path = tmp_path / f"{name}.yaml"
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    else:
        path = tmp_path / f"{name}.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("case", list(FILES), ids=list(FILES))
async def test_a_bad_file_is_refused_naming_the_record_and_field(cli_env, db, capsys, tmp_path, case):
    content, expected = FILES[case]
    path = write(tmp_path, "bad", content)
    await refused(db, capsys, ["import", path], [path, *expected])


@pytest.mark.parametrize("case", list(PAY), ids=list(PAY))
async def test_a_bad_command_is_refused_with_a_sentence(cli_env, db, capsys, case):
    argv, expected = PAY[case]
    await refused(db, capsys, argv, expected)


@pytest.mark.parametrize("case", list(ENVIRONMENT), ids=list(ENVIRONMENT))
async def test_a_bad_setting_is_named(cli_env, db, capsys, case):
    variables, expected = ENVIRONMENT[case]
    for name, value in variables.items():
        cli_env.setenv(name, value)
    await refused(db, capsys, ["sweep", "--org", SLUG], expected)


async def test_a_file_too_big_a_missing_one_and_a_directory(cli_env, db, capsys, tmp_path):
    path = write(tmp_path, "big", changed(lambda o: None))
    cli_env.setattr(limits, "MAX_FILE_BYTES", 1000)
    await refused(db, capsys, ["import", path], [path, "at most 1,000 bytes", "split the sync into several files"])
    await refused(db, capsys, ["import", str(tmp_path / "nope.yaml")], ["nope.yaml", "No such file"])
    await refused(db, capsys, ["import", str(tmp_path)], [str(tmp_path), "Is a directory"])


def test_there_are_at_least_sixty_bad_inputs():
    assert len(FILES) + len(PAY) + len(ENVIRONMENT) + 3 >= 60
