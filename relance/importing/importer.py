"""Import organisations, users, accounts, contacts, invoices, payments, templates, scenarios, contracts
and renewal settings.

All or nothing: every problem of the file is collected, named by record and field, and nothing is
written unless there are none.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import insert
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    Account,
    AppUser,
    CampaignState,
    Contact,
    Contract,
    EmailCampaign,
    EmailTemplate,
    Invoice,
    Organisation,
    Payment,
    RenewalSettings,
    Scenario,
    ScenarioPurpose,
    ScenarioStep,
    SenderMode,
    TemplateTranslation,
)
from relance import calendar, limits
from relance.db import Database
from relance.email.rendering import TemplateProblem, render, template_problems
from relance.importing import customer_dunning, pipeline, rows
from relance.importing.agency import AgencyWrite, agency_problems, write_agency
from relance.importing.changes import Changes
from relance.importing.format import (
    AccountIn,
    CampaignIn,
    ContactIn,
    DunningIn,
    ImportFile,
    InvoiceIn,
    MarketingScenarioIn,
    OrganisationIn,
    ScenarioIn,
    TemplateIn,
    known_zone,
)
from relance.importing.loading import load_yaml
from relance.importing.references import not_a_user, unknown
from relance.importing.stored import Stored, load_stored
from relance.scenario import predefined
from relance.scenario.plan import step_number

MAX_EMAIL_STEPS = 5
NAME_FIELDS = ("slug", "number", "ref", "key", "email", "label", "reference")


class ImportRejected(ValueError):
    """The file was refused; `problems` names each record and field. Nothing was written."""

    SHOWN = 200  # a file with 100,000 bad invoices is told the first ones and how many more

    def __init__(self, source: str, problems: list[str]):
        shown = problems[:self.SHOWN] + ([f"… and {len(problems) - self.SHOWN} more"]
                                         if len(problems) > self.SHOWN else [])
        super().__init__(f"{source}: {len(problems)} problem(s), nothing imported:\n  - " + "\n  - ".join(shown))
        self.problems = problems


@dataclass(frozen=True)
class TemplateFields:
    """The merge fields each use of a template fills in, as the domains declare them (relance/<domain>/
    merge_fields.py; starter/importing.py brings them here): a template named by a scenario step is
    checked against the scenario's, the renewal template against the renewal notice's, any other
    against them all."""

    scenario: Mapping[str, str]
    renewals: Mapping[str, str]
    marketing: Mapping[str, str] = field(default_factory=dict)
    pipeline: Mapping[str, str] = field(default_factory=dict)
    agency: Mapping[str, str] = field(default_factory=dict)  # the agency templates' (relance.agency)

    @property
    def every(self) -> dict[str, str]:
        return {**self.scenario, **self.renewals, **self.marketing, **self.pipeline}

    def of_uses(self, key: str, in_scenarios: Container[str], in_marketing: Container[str],
                in_pipeline: Container[str] = ()) -> Mapping[str, str]:
        """The fields a template may use: those every one of its uses fills in (all of them when unused)."""
        uses = [known for used, known in ((in_scenarios, self.scenario), (in_marketing, self.marketing),
                                          (in_pipeline, self.pipeline)) if key in used]
        return {name: text for name, text in uses[0].items() if all(name in u for u in uses)} if uses else self.every


@dataclass
class ImportReport:
    organisations: list[Organisation] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    new_invoices: list[tuple[str, str]] = field(default_factory=list)
    changed_invoices: list[tuple[str, str]] = field(default_factory=list)
    # What ends marketing runs at once, not at their next step (the caller wakes them): (org, key)
    # of the marketing scenarios imported switched off, (org, ref) of the contacts this import
    # opted out or deleted.
    marketing_scenarios_off: list[tuple[str, str]] = field(default_factory=list)
    contacts_leaving: list[tuple[str, str]] = field(default_factory=list)
    readmitted_accounts: dict[str, list[str]] = field(default_factory=dict)  # org -> accounts no longer excluded
    agencies: list[AgencyWrite] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)  # what was written (or would be: a dry run)

    def count(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1


def import_day(raw: Any, now: datetime) -> date:
    """The day a file's relative dates ("today-20") count from: today in its first organisation's zone
    (Europe/Paris, the format's default, when it names none or one it does not know), as the people of
    that organisation count days. The UTC date was yesterday's for an hour each night in Paris, so a
    file loaded then had every relative date a day early."""
    organisations = raw.get("organisations") if isinstance(raw, dict) else None
    first = organisations[0] if isinstance(organisations, list) and organisations else None
    zone = first.get("timezone") if isinstance(first, dict) else None
    try:
        return calendar.local_today(now, known_zone(zone))
    except (TypeError, ValueError):
        return calendar.local_today(now, OrganisationIn.model_fields["timezone"].default)


def read_file(path: Path) -> Any:
    """The file's data; ImportRejected (one sentence, the file named) when it is too big, not UTF-8,
    holds a NUL character or does not parse. A missing file or a directory is the OSError's to say."""
    source = str(path)
    if path.is_file() and path.stat().st_size > limits.MAX_FILE_BYTES:
        raise ImportRejected(source, [too_big(path.stat().st_size)])
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportRejected(source, [f"line {line}: not UTF-8 text (byte {data[exc.start]:#04x} at offset "
                                      f"{exc.start}); save the file as UTF-8"]) from exc
    return parse_text(text, source, json_format=path.suffix == ".json")


def too_big(size: int) -> str:
    return (f"the file is {size:,} bytes; at most {limits.MAX_FILE_BYTES:,} bytes: split the sync into several "
            "files (by organisation, or accounts and invoices in parts)")


def parse_text(text: str, source: str, json_format: bool = False) -> Any:
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportRejected(source, [f"line {line}: a NUL character; remove it"])
    kind = "JSON" if json_format else "YAML"
    try:
        return json.loads(text) if json_format else load_yaml(text)
    except (json.JSONDecodeError, yaml.YAMLError, ValueError, RecursionError) as exc:
        raise ImportRejected(source, [f"not valid {kind}: {str(exc)[:500]}"]) from exc


SHAPE = "a mapping with `organisations:` and a list of organisations under it (see docs/import-format.md)"


def parse(raw: Any, source: str) -> ImportFile:
    if raw is None or raw == "" or raw == {}:
        raise ImportRejected(source, [f"the file is empty: expected {SHAPE}"])
    if not isinstance(raw, dict):
        raise ImportRejected(source, [f"the top level is a {_kind(raw)}: expected {SHAPE}"])
    over = _past_limits(raw)
    if over:
        raise ImportRejected(source, [over])
    problems = [_describe(raw, {"loc": loc, "msg": "contains a NUL character"}) for loc in _nul_paths(raw)]
    if problems:
        raise ImportRejected(source, problems)
    try:
        return ImportFile.model_validate(raw)
    except ValidationError as exc:
        raise ImportRejected(source, [_describe(raw, err) for err in exc.errors()]) from exc


def _kind(value: Any) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__)


def _past_limits(raw: Any) -> str | None:
    """The file's first limit passed (relance.limits: values, records, nesting), for a file the YAML
    reader did not count as it read (JSON, or data given as is)."""
    values = records = 0
    todo = [(raw, 1)]
    while todo:
        node, depth = todo.pop()
        values += 1
        if depth > limits.MAX_FILE_DEPTH:
            return f"lists and mappings are nested more than {limits.MAX_FILE_DEPTH} deep"
        if isinstance(node, dict):
            records += 1
            todo += ((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            todo += ((value, depth + 1) for value in node)
        if values > limits.MAX_FILE_VALUES:
            return f"the file holds more than {limits.MAX_FILE_VALUES:,} values (YAML aliases that repeat a part?)"
        if records > limits.MAX_FILE_RECORDS:
            return (f"the file holds more than {limits.MAX_FILE_RECORDS:,} records (mappings): split the sync into "
                    "several files")
    return None


def _nul_paths(node: Any, path: tuple = ()) -> Iterable[tuple]:
    """Where a NUL hides in the data (a JSON "\\u0000"): PostgreSQL refuses it in text (the data is
    within the nesting limit: _past_limits)."""
    if isinstance(node, str):
        if "\x00" in node:
            yield path
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _nul_paths(value, (*path, key))
            if isinstance(key, str) and "\x00" in key:
                yield (*path, key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nul_paths(value, (*path, index))


def _describe(raw: Any, error: dict) -> str:
    """'organisations[0] acme › invoices[2] F-3 › due_date: ...' from a pydantic error location."""
    parts: list[str] = []
    node = raw
    for step in error["loc"]:
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
            name = next((str(node[k]) for k in NAME_FIELDS if isinstance(node, dict) and k in node), None)
            if name and len(name) > 40:
                name = f"{name[:40]}…"
            parts[-1] += f"[{step}]" + (f" {name!r}" if name else "")
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return " › ".join(parts) + f": {error['msg']}"


def template_check(template: TemplateIn, known: Mapping[str, str]) -> list[str]:
    """Syntax and merge fields, then a render with every field as its raw code (catches what only fails
    at run time)."""
    problems = _text_problems(template.subject, template.body, known)
    for language, given in template.translations.items():
        problems += [f"translation {language!r} › {p}" for p in _text_problems(given.subject, given.body, known)]
    return [f"template {template.key!r} › {p}" for p in problems]


def _text_problems(subject: str, body: str, known: Mapping[str, str]) -> list[str]:
    problems = template_problems(subject, body, known)
    if not problems:
        try:
            render(subject, body, {}, missing_as_codes=True)
        except TemplateProblem as exc:
            problems = [f"fails to render: {p}" for p in exc.problems]
    return problems


def scenario_check(scenario: ScenarioIn, templates: set[str], users: set[str]) -> list[str]:
    where = f"scenario {scenario.key!r}"
    problems: list[str] = []
    emails = [s for s in scenario.steps if s.kind == "email"]
    if not 1 <= len(emails) <= MAX_EMAIL_STEPS:
        problems.append(f"{where} › steps: needs 1 to {MAX_EMAIL_STEPS} email steps, has {len(emails)}")
    for position, step in enumerate(scenario.steps):
        at = f"{where} › step {step_number(position)} {step.label!r}"
        if step.kind == "pause" and step.days is None:
            problems.append(f"{at} › days: a pause needs its number of days")
        if step.kind != "pause" and step.days is not None:
            problems.append(f"{at} › days: only pause steps have days (use offset_days)")
        if step.kind == "pause" and step.offset_days is not None:
            problems.append(f"{at} › offset_days: a pause is timed by days")
        if step.kind == "email":
            if step.template is None:
                problems.append(f"{at} › template: an email step needs a template")
            else:
                problems += unknown(at, "template", step.template, templates)
        problems += not_a_user(at, "sender", step.sender, users)
        if step.task:
            problems += not_a_user(at, "task.assignee", step.task.assignee, users)
        if step.window and step.window[0] >= step.window[1]:
            problems.append(f"{at} › window: opens at {step.window[0]} but closes at {step.window[1]}")
    return problems


def marketing_scenario_check(scenario: MarketingScenarioIn, templates: set[str], users: set[str]) -> list[str]:
    """A dunning scenario's checks, and offsets that count forward from the enrolment."""
    problems = scenario_check(scenario, templates, users)
    for position, step in enumerate(scenario.steps):
        if step.offset_days is not None and step.offset_days < 0:
            problems.append(f"scenario {scenario.key!r} › step {step_number(position)} {step.label!r} › offset_days: "
                            f"counts from the enrolment day, cannot be negative ({step.offset_days})")
    return problems


def campaign_problems(c: CampaignIn, templates: set[str], users: set[str], accounts: set[str],
                      contacts: Mapping[str, str]) -> list[str]:
    at = f"campaign {c.key!r}"
    audience = [name for name in ("tag", "account", "contact") if getattr(c, name) is not None]
    problems = [] if len(audience) == 1 else [f"{at} › tag: give exactly one audience: tag, account or contact"]
    problems += unknown(at, "template", c.template, templates)
    problems += not_a_user(at, "sender", c.sender, users)
    problems += unknown(at, "account", c.account, accounts)
    problems += unknown(at, "contact", c.contact, contacts)
    return problems


def organisation_problems(org: OrganisationIn, fields: TemplateFields, stored: Stored | None = None) -> list[str]:
    """Cross-record checks: references between records of the file, and to those the organisation has."""
    stored = stored or Stored()
    where = f"organisation {org.slug!r}"
    users = {u.email for u in org.users} | set(stored.users)
    templates = {t.key for t in org.templates} | set(predefined.templates()) | set(stored.templates)
    scenarios = {s.key for s in org.scenarios} | stored.dunning_scenarios
    in_scenarios = {st.template for s in org.scenarios for st in s.steps if st.kind == "email"}
    in_marketing = {st.template for s in org.marketing_scenarios for st in s.steps if st.kind == "email"
                    } | {c.template for c in org.campaigns} | pipeline.campaign_templates(org.pipeline)
    in_pipeline = pipeline.email_templates(org.pipeline)
    problems = _name_problems(where, org, stored.organisation is not None, "organisation")
    problems += [p for a in org.accounts
                 for p in _name_problems(f"{where} › account {a.ref!r}", a, a.ref in stored.accounts, "account")]
    problems += [f"{where} › {p}" for t in org.templates
                 for p in template_check(t, fields.of_uses(t.key, in_scenarios, in_marketing, in_pipeline))]
    problems += [f"{where} › {p}" for s in org.scenarios for p in scenario_check(s, templates, users)]
    problems += [f"{where} › marketing_{p}" for s in org.marketing_scenarios
                 for p in marketing_scenario_check(s, templates, users)]
    dunning = org.dunning
    problems += unknown(where, "dunning.scenario", dunning.scenario or None, scenarios, "scenario")
    problems += customer_dunning.problems(where, org, scenarios, {t for a in stored.accounts.values() for t in a.tags})
    if dunning.sender not in (None, "invoice_creator") and dunning.sender not in users:
        problems.append(f"{where} › dunning.sender: {dunning.sender!r} is not a user of the organisation")
    if dunning.send_window[0] >= dunning.send_window[1]:
        problems.append(f"{where} › dunning.send_window: opens after it closes")
    if org.holiday_country or org.holiday_subdivision:
        locale = _given_or_stored(org, "locale", stored.organisation)
        opening = calendar.Opening(country=org.holiday_country or calendar.default_country(locale),
                                   subdivision=org.holiday_subdivision)
        problems += [f"{where} › holiday_{p}" for p in calendar.validate_opening(opening)]
    contacts = stored.contact_accounts | {c.ref: a.ref for a in org.accounts for c in a.contacts}
    accounts = set(stored.accounts) | {a.ref for a in org.accounts}
    problems += [p for a in org.accounts for p in not_a_user(f"{where} › account {a.ref!r}", "owner", a.owner, users)]
    problems += renewal_problems(org, users, accounts, contacts, fields, stored)
    problems += [f"{where} › {p}" for c in org.campaigns for p in campaign_problems(c, templates, users, accounts,
                                                                                      contacts)]
    problems += pipeline.pipeline_problems(org, templates, users, accounts, contacts, {
        s.key for s in org.marketing_scenarios} | stored.scenario_keys(ScenarioPurpose.MARKETING), stored.stages,
        stored.action_types, stored.endpoints)
    for inv in org.invoices:
        problems += invoice_problems(f"{where} › invoice {inv.number!r}", inv, accounts, contacts, users)
    for kind, keys in (("user", [u.email for u in org.users]), ("account", [a.ref for a in org.accounts]),
                       ("contact", [c.ref for a in org.accounts for c in a.contacts]),
                       ("invoice", [i.number for i in org.invoices]), ("template", [t.key for t in org.templates]),
                       ("scenario", [s.key for s in [*org.scenarios, *org.marketing_scenarios]]),
                       ("contract", [c.ref for c in org.contracts]), ("campaign", [c.key for c in org.campaigns])):
        problems += [f"{where} › {kind} {key!r}: appears {n} times in the file" for key, n in repeated(keys)]
    for inv in org.invoices:
        problems += [f"{where} › invoice {inv.number!r} › payment {ref!r}: appears {n} times on the invoice "
                     "(each payment needs its own ref)" for ref, n in repeated(p.ref for p in inv.payments)]
    return problems + amount_problems(org, _given_or_stored(org, "currency", stored.organisation))


def _name_problems(at: str, record: OrganisationIn | AccountIn, is_stored: bool, what: str) -> list[str]:
    """A name may be left out of a record stored already, never cleared."""
    if record.name is not None:
        return []
    if "name" in record.model_fields_set:
        return [f"{at} › name: cannot be null"]
    return [] if is_stored else [f"{at} › name: a new {what} needs it"]


def _given_or_stored(record: BaseModel, name: str, row: SQLModel | None) -> Any:
    """The field as the file gives it, else as it is stored, else its default."""
    return getattr(row, name) if row is not None and name not in record.model_fields_set else getattr(record, name)


def overlay(stored: BaseModel | None, given: BaseModel) -> BaseModel:
    """The settings as they will be: the stored ones with the fields the file gives put over them."""
    if stored is None:
        return given
    return stored.model_copy(update={name: getattr(given, name) for name in given.model_fields_set})


def repeated(keys: Iterable[str]) -> list[tuple[str, int]]:
    """Keys that appear more than once, with their count (linear: files have 100,000 invoices)."""
    return sorted((key, n) for key, n in Counter(keys).items() if n > 1)


def amount_problems(org: OrganisationIn, currency: str) -> list[str]:
    """Amounts within the columns and with no more decimals than the organisation's currency has."""
    where = f"organisation {org.slug!r}"
    problems = []
    for inv in org.invoices:
        problems += invoice_amount_problems(f"{where} › invoice {inv.number!r}", inv, currency)
    return problems + _refused_amounts([(f"{where} › contract {c.ref!r} › amount", c.amount, False)
                                        for c in org.contracts if c.amount is not None], currency)


def invoice_amount_problems(at: str, inv: InvoiceIn, currency: str) -> list[str]:
    """An invoice's amounts and its payments' (the import's, the HTTP API's): refused, never rounded."""
    checks = [(f"{at} › amount_excl_tax", inv.amount_excl_tax, False),
              (f"{at} › amount_incl_tax", inv.amount_incl_tax, False)]
    checks += [(f"{at} › payment {p.ref!r} › amount", p.amount, True) for p in inv.payments]
    return _refused_amounts(checks, currency)


def _refused_amounts(checks: list[tuple[str, Decimal, bool]], currency: str) -> list[str]:
    problems = []
    for at, amount, positive in checks:
        try:
            limits.check_amount(amount, currency, positive=positive)
        except ValueError as exc:
            problems.append(f"{at}: {exc}")
    return problems


def invoice_problems(at: str, inv: InvoiceIn, accounts: Container[str], contacts: Mapping[str, str],
                     users: Container[str]) -> list[str]:
    """An invoice's references (account, contact of that account, creator) and amounts; `contacts` maps
    each contact's ref to its account's."""
    problems = invoice_reference_problems(at, inv.account, inv.contact, inv.creator, accounts, contacts, users)
    if inv.amount_incl_tax < inv.amount_excl_tax:
        problems.append(f"{at} › amount_incl_tax: smaller than amount_excl_tax")
    return problems


def invoice_reference_problems(at: str, account: str, contact: str | None, creator: str | None,
                               accounts: Container[str], contacts: Mapping[str, str],
                               users: Container[str]) -> list[str]:
    problems = unknown(at, "account", account, accounts)
    if contact is not None and contacts.get(contact) != account:
        problems.append(f"{at} › contact: unknown contact {contact!r} for account {account!r}")
    return problems + not_a_user(at, "creator", creator, users)


def renewal_problems(org: OrganisationIn, users: set[str], accounts: set[str], contacts: dict[str, str],
                     fields: TemplateFields, stored: Stored) -> list[str]:
    """The renewal settings as they will be (the file's over the stored ones), and the contracts."""
    where = f"organisation {org.slug!r}"
    renewals = overlay(stored.renewals, org.renewals)
    problems = []
    if renewals.enabled and renewals.template is None:
        problems.append(f"{where} › renewals.template: renewal notices need a template")
    if renewals.enabled and renewals.sender is None:
        problems.append(f"{where} › renewals.sender: renewal notices need a sender")
    template = next((t for t in org.templates if t.key == renewals.template), None
                    ) or stored.templates.get(renewals.template)
    if renewals.template is not None and template is None:
        problems.append(f"{where} › renewals.template: unknown template {renewals.template!r}")
    if template is not None:
        # A notice has no invoice behind it: invoice fields would reach the customer as raw codes.
        problems += [f"{where} › renewals.template {template.key!r} › {p}"
                     for p in template_problems(template.subject, template.body, fields.renewals)]
    problems += not_a_user(where, "renewals.sender", renewals.sender, users)
    for contract in org.contracts:
        at = f"{where} › contract {contract.ref!r}"
        problems += unknown(at, "account", contract.account, accounts)
        if contract.billing_contact is not None and contacts.get(contract.billing_contact) != contract.account:
            problems.append(f"{at} › billing_contact: unknown contact {contract.billing_contact!r} "
                            f"for account {contract.account!r}")
        if contract.period == "multi_year" and contract.years is None:
            problems.append(f"{at} › years: a multi-year period needs its number of years (2 or more)")
        if contract.period != "multi_year" and contract.years is not None:
            problems.append(f"{at} › years: only a multi_year period has years")
    return problems


# The columns each field of the file writes, where they are not called as the field is.
DUNNING_COLUMNS = {"enabled": ("dunning_enabled",), "apply_to_new_invoices": ("dunning_apply_to_new_invoices",),
                   "send_window": ("send_window_start", "send_window_end"), "send_days": ("send_weekdays",),
                   "sender": ("sender_mode",), "one_email_per_customer": ("dunning_one_email_per_customer",),
                   "scenario_rules": (), "minimum_amounts": ("dunning_minimums",)}
CONTACT_COLUMNS = {"billing": ("is_billing",), "decision_maker": ("is_decision_maker",)}
INVOICE_COLUMNS = {"account": ("account_id",), "contact": ("contact_id",), "creator": ("creator_user_id",),
                   "payment_schedule": ("has_payment_schedule",)}
RENEWAL_COLUMNS = {"template": ("template_id",), "sender": ("sender_user_id",)}
CONTRACT_COLUMNS = {"account": ("account_id",), "billing_contact": ("billing_contact_id",)}
_AUDIENCE = ("audience_tag", "audience_account_id", "audience_contact_id")  # one audience: given, the others clear
CAMPAIGN_COLUMNS = {"template": ("template_id",), "sender": ("sender_user_id",), "tag": _AUDIENCE,
                    "account": _AUDIENCE, "contact": _AUDIENCE}


async def _write_organisation(session: AsyncSession, org_in: OrganisationIn, stored: Stored, today: date,
                              report: ImportReport, progress: Callable[[str], None]) -> None:
    """Write what the file names; what it leaves out keeps its stored value (rows.upsert)."""
    rows.changes(session).organisation = org_in.slug
    d = org_in.dunning
    org, _ = await rows.upsert(session, Organisation, {"slug": org_in.slug}, dict(
        name=org_in.name, timezone=org_in.timezone, locale=org_in.locale, currency=org_in.currency,
        dunning_enabled=d.enabled, dunning_apply_to_new_invoices=d.apply_to_new_invoices,
        dunning_one_email_per_customer=d.one_email_per_customer,
        send_window_start=d.send_window[0], send_window_end=d.send_window[1], send_weekdays=d.send_days,
        holiday_country=org_in.holiday_country, holiday_subdivision=org_in.holiday_subdivision,
        sender_mode=SenderMode.INVOICE_CREATOR if d.sender == "invoice_creator" else SenderMode.USER,
        late_interest_rate=d.late_interest_rate,
        dunning_minimums={currency: str(amount) for currency, amount in d.minimum_amounts.items()},
    ), rows.named(org_in) | rows.named(d, DUNNING_COLUMNS))
    report.organisations.append(org)
    users = dict(stored.users)
    for u in org_in.users:
        users[u.email], _ = await rows.upsert(session, AppUser, {"org_id": org.id, "email": u.email}, dict(
            first_name=u.first_name, last_name=u.last_name, notify_on_reminder=u.notify_on_reminder,
            notify_by=u.notify_by), rows.named(u))
        report.count("users")
    templates = dict(stored.templates)
    for t in org_in.templates:
        templates[t.key] = await write_template(session, org, t)
        report.count("templates")
    scenarios = dict(stored.scenarios)
    for s in org_in.scenarios:
        templates.update(await predefined_copies(session, org, s, templates))
        scenarios[s.key] = await write_scenario(session, org, s, users, templates)
    report.counts["scenarios"] = report.counts.get("scenarios", 0) + len(org_in.scenarios)
    for m in org_in.marketing_scenarios:
        templates.update(await predefined_copies(session, org, m, templates))
        switches = _marketing_switches(m, stored.scenarios.get(m.key))
        scenario = await write_scenario(session, org, m, users, templates, ScenarioPurpose.MARKETING)
        rows.update(session, scenario, m.key, switches)
        if not scenario.enabled:
            report.marketing_scenarios_off.append((org.slug, m.key))
    report.counts["marketing_scenarios"] = report.counts.get("marketing_scenarios", 0) + len(org_in.marketing_scenarios)
    rows.update(session, org, org.slug, _dunning_links(d, scenarios, users))
    await customer_dunning.write_rules(session, org, d)
    accounts, contacts = dict(stored.accounts), dict(stored.contacts)  # written with a flush each, not per row
    for a in org_in.accounts:
        accounts[a.ref], _ = rows.put(session, Account, stored.accounts.get(a.ref), {"org_id": org.id, "ref": a.ref},
                                      dict(name=a.name, email=a.email, cc=a.cc, language=a.language,
                                           dunning_excluded=a.dunning_excluded, **customer_dunning.account_values(a),
                                           owner_user_id=users[a.owner].id if a.owner else None),
                                      rows.named(a, customer_dunning.ACCOUNT_COLUMNS | {"owner": ("owner_user_id",)}))
        if "dunning_excluded" in a.model_fields_set and a.dunning_excluded is None:
            report.readmitted_accounts.setdefault(org.slug, []).append(a.ref)
        report.count("accounts")
    await session.flush()
    for a in org_in.accounts:
        for c in a.contacts:
            contacts[c.ref], _ = rows.put(session, Contact, stored.contacts.get(c.ref), {"org_id": org.id,
                                                                                        "ref": c.ref}, dict(
                account_id=accounts[a.ref].id, civility=c.civility, first_name=c.first_name,
                last_name=c.last_name, email=c.email, is_billing=c.billing, is_decision_maker=c.decision_maker,
                tags=sorted(set(c.tags))), rows.named(c, CONTACT_COLUMNS) | {"account_id"})
            if _consent_and_deletion(session, contacts[c.ref], c, datetime.now(UTC)):
                report.contacts_leaving.append((org.slug, c.ref))
            report.count("contacts")
    await session.flush()
    await write_invoices(session, org, org_in.invoices, lambda inv: InvoiceLinks(
        accounts[inv.account].id, contacts[inv.contact].id if inv.contact else None,
        users[inv.creator].id if inv.creator else None), today, report, progress)
    for c in org_in.campaigns:
        await _write_campaign_draft(session, org, c, users, templates, accounts, contacts, report)
    await pipeline.write_pipeline(session, org, org_in.pipeline, users, accounts, contacts, report.count)
    r = org_in.renewals
    await rows.upsert(session, RenewalSettings, {"org_id": org.id}, dict(
        enabled=r.enabled, alert_days=r.alert_days, template_id=templates[r.template].id if r.template else None,
        sender_user_id=users[r.sender].id if r.sender else None), rows.named(r, RENEWAL_COLUMNS))
    for c in org_in.contracts:
        await rows.upsert(session, Contract, {"org_id": org.id, "ref": c.ref}, dict(
            account_id=accounts[c.account].id,
            billing_contact_id=contacts[c.billing_contact].id if c.billing_contact else None,
            start_date=c.start_date.resolve(today), period=c.period, years=c.years, tacit_renewal=c.tacit_renewal,
            status=c.status, amount=c.amount), rows.named(c, CONTRACT_COLUMNS))
        report.count("contracts")
    for a in org_in.agencies:
        stored_agency = stored.agencies.get(a.slug)
        written = await write_agency(session, org, a, today, stored_agency.properties if stored_agency else {})
        report.agencies.append(written)
        report.counts["agencies"] = report.counts.get("agencies", 0) + 1
        report.counts["bookings"] = report.counts.get("bookings", 0) + len(written.bookings)
    session.add(org)


def _dunning_links(d: DunningIn, scenarios: Mapping[str, Scenario], users: Mapping[str, AppUser]) -> dict:
    """The default scenario and sender the file names (null clears them); absent, they stay."""
    links = {}
    if "scenario" in d.model_fields_set:
        links["default_scenario_id"] = scenarios[d.scenario].id if d.scenario else None
    if "sender" in d.model_fields_set and d.sender != "invoice_creator":
        links["default_sender_user_id"] = users[d.sender].id if d.sender else None
    return links


def _marketing_switches(m: MarketingScenarioIn, previous: Scenario | None) -> dict:
    """A marketing scenario's switches: as the file gives them, else as its latest version had them (a
    new version keeps them), else the defaults."""
    values = {"enabled": m.enabled, "allow_reentry": m.reentry}
    if previous is None:
        return values
    given = rows.named(m, {"reentry": ("allow_reentry",)})
    return {name: value if name in given else getattr(previous, name) for name, value in values.items()}


async def _write_campaign_draft(session: AsyncSession, org: Organisation, c: CampaignIn, users: dict, templates: dict,
                                accounts: dict, contacts: dict, report: ImportReport) -> None:
    """A draft is written; a campaign launched already is left as it is (what it sent stays true)."""
    existing = (await session.exec(select(EmailCampaign).where(EmailCampaign.org_id == org.id,
                                                               EmailCampaign.key == c.key))).first()
    if existing is not None and existing.state != CampaignState.DRAFT:
        report.count("campaigns left as launched")
        return
    template = templates.get(c.template) or await write_template(session, org, predefined.templates()[c.template])
    await rows.upsert(session, EmailCampaign, {"org_id": org.id, "key": c.key}, dict(
        name=c.name, template_id=template.id, sender_user_id=users[c.sender].id if c.sender else None,
        audience_tag=c.tag, audience_account_id=accounts[c.account].id if c.account else None,
        audience_contact_id=contacts[c.contact].id if c.contact else None, created_by="import"),
        rows.named(c, CAMPAIGN_COLUMNS))
    report.count("campaigns")


def _consent_and_deletion(session: AsyncSession, contact: Contact, c: ContactIn, now: datetime) -> bool:
    """`opted_out` or `deleted` absent leaves them as they are; an opt-out already recorded keeps its when
    and how. The times are the import's (an import is not a run: no workflow time). True when the
    contact leaves marketing now (opted out or deleted by this import)."""
    values: dict[str, Any] = {}
    if c.opted_out is True and contact.opted_out_at is None:
        values.update(opted_out_at=now, opted_out_via="import")
    elif c.opted_out is False:
        values.update(opted_out_at=None, opted_out_via=None)
    if "deleted" in c.model_fields_set and c.deleted != (contact.deleted_at is not None):
        values["deleted_at"] = now if c.deleted else None
    rows.update(session, contact, contact.ref, values)
    return values.get("opted_out_at") is not None or values.get("deleted_at") is not None


@dataclass(frozen=True)
class InvoiceLinks:
    """The rows an invoice points to, found by the caller (in the file being written, or in the database)."""

    account_id: int
    contact_id: int | None
    creator_user_id: int | None


# Up to this many invoices, only theirs are read back; an import of more reads the organisation's.
FEW_INVOICES = 1000


async def write_invoices(session: AsyncSession, org: Organisation, invoices: list[InvoiceIn],
                         links: Callable[[InvoiceIn], InvoiceLinks], today: date, report: ImportReport,
                         progress: Callable[[str], None] = lambda _: None) -> None:
    """Invoices and their payments in bulk: the existing rows read in two queries, the new ones inserted
    together, as plain rows (one round trip per invoice made 100,000 take minutes, and an ORM object per
    new row cost a millisecond and kilobytes each; bench/importing.py, bench/import_bounds.py). An
    existing invoice takes the fields given; payments are added or changed, never removed. The report
    says which invoices are new and which changed."""
    known = select(Invoice).where(Invoice.org_id == org.id)
    if len(invoices) <= FEW_INVOICES:
        known = known.where(col(Invoice.number).in_([inv.number for inv in invoices]))
    existing = {row.number: row for row in (await session.exec(known))}
    outcomes: dict[str, str | None] = {}
    new_rows = []
    for inv in invoices:
        link = links(inv)
        values = dict(
            account_id=link.account_id, contact_id=link.contact_id, creator_user_id=link.creator_user_id,
            invoice_date=inv.invoice_date.resolve(today), due_date=inv.due_date.resolve(today),
            amount_excl_tax=inv.amount_excl_tax, amount_incl_tax=inv.amount_incl_tax, status=inv.status,
            do_not_remind=inv.do_not_remind or inv.payment_schedule, has_payment_schedule=inv.payment_schedule,
            payment_url=inv.payment_url,
        )
        row = existing.get(inv.number)
        if row is None:
            new_rows.append(dict(org_id=org.id, number=inv.number, **values))
            outcomes[inv.number] = "created"
            rows.created(session, Invoice, inv.number)
        else:
            given = rows.named(inv, INVOICE_COLUMNS) | ({"do_not_remind"} if inv.payment_schedule else set())
            outcomes[inv.number] = "changed" if rows.update(
                session, row, inv.number, {k: v for k, v in values.items() if k in given}) else None
        report.count("invoices")
    progress(f"{org.slug}: {len(invoices)} invoices")
    await session.flush()
    ids = {number: row.id for number, row in existing.items()}
    if new_rows:  # Core, not the ORM's bulk mode: plain rows in, (number, id) out
        table = Invoice.__table__
        inserted = await session.exec(insert(table).returning(table.c.number, table.c.id), params=new_rows)
        ids |= {number: id_ for number, id_ in inserted.all()}
    invoice_ids = [ids[inv.number] for inv in invoices]
    paid = {(p.invoice_id, p.ref): p for p in (await session.exec(
        select(Payment).where(col(Payment.invoice_id).in_(invoice_ids)) if len(invoice_ids) <= FEW_INVOICES
        else select(Payment).join(Invoice, Invoice.id == Payment.invoice_id).where(Invoice.org_id == org.id)))}
    new_payments = []
    for inv, invoice_id in zip(invoices, invoice_ids, strict=True):
        for p in inv.payments:
            values = dict(amount=p.amount, paid_on=p.paid_on.resolve(today))
            payment, name = paid.get((invoice_id, p.ref)), f"{inv.number}/{p.ref}"
            if payment is None:
                new_payments.append(dict(invoice_id=invoice_id, ref=p.ref, **values))
                rows.created(session, Payment, name)
                outcomes[inv.number] = outcomes[inv.number] or "changed"  # a new payment changes the invoice
            elif rows.update(session, payment, name, values):
                outcomes[inv.number] = outcomes[inv.number] or "changed"
            else:
                rows.unchanged(session, payment)
            report.count("payments")
        if outcomes[inv.number] == "created":
            report.new_invoices.append((org.slug, inv.number))
        elif outcomes[inv.number] == "changed":
            report.changed_invoices.append((org.slug, inv.number))
        else:
            rows.unchanged(session, existing[inv.number])
    if new_payments:
        await session.exec(insert(Payment.__table__), params=new_payments)
    await session.flush()


async def write_template(session: AsyncSession, org: Organisation, t: TemplateIn) -> EmailTemplate:
    template, _ = await rows.upsert(session, EmailTemplate, {"org_id": org.id, "key": t.key},
                                dict(name=t.name, subject=t.subject, body=t.body))
    if "translations" in t.model_fields_set:
        await write_translations(session, template, t)
    return template


async def write_translations(session: AsyncSession, template: EmailTemplate, t: TemplateIn) -> None:
    """The translations given replace the stored ones (a language left out is removed)."""
    stored = {row.language: row for row in (await session.exec(select(TemplateTranslation).where(
        TemplateTranslation.template_id == template.id)))}
    for language, row in stored.items():
        if language not in t.translations:
            await session.delete(row)
    for language, given in t.translations.items():
        await rows.upsert(session, TemplateTranslation, {"template_id": template.id, "language": language},
                          dict(subject=given.subject, body=given.body))


async def predefined_copies(session: AsyncSession, org: Organisation, s: ScenarioIn,
                            known: dict) -> dict[str, EmailTemplate]:
    """The organisation's copies of the predefined templates the scenario names, made on first use."""
    copies = {}
    for key in {st.template for st in s.steps if st.template and st.template not in known}:
        existing = (await session.exec(select(EmailTemplate).where(
            EmailTemplate.org_id == org.id, EmailTemplate.key == key))).first()
        copies[key] = existing or await write_template(session, org, predefined.templates()[key])
    return copies


async def write_scenario(session: AsyncSession, org: Organisation, s: ScenarioIn, users: dict,
                         templates: dict, purpose: str = ScenarioPurpose.DUNNING) -> Scenario:
    """A scenario whose steps changed becomes a new version; running runs keep theirs."""
    steps = [
        dict(position=i, kind=st.kind, label=st.label, offset_days=st.offset_days, pause_days=st.days or 0,
             template_id=templates[st.template].id if st.template else None,
             sender_user_id=users[st.sender].id if st.sender else None, sender_name=st.sender_name,
             window_start=st.window[0] if st.window else None, window_end=st.window[1] if st.window else None,
             send_weekdays=st.send_days,
             task_title=st.task.title if st.task else None,
             task_assignee_user_id=users[st.task.assignee].id if st.task and st.task.assignee else None,
             task_due_days=st.task.due_in_days if st.task else 0, attach_invoice=st.attach_invoice)
        for i, st in enumerate(s.steps)
    ]
    latest = (await session.exec(select(Scenario).where(Scenario.org_id == org.id, Scenario.key == s.key)
                                 .order_by(Scenario.version.desc()))).first()
    if latest is not None:
        existing = (await session.exec(select(ScenarioStep).where(ScenarioStep.scenario_id == latest.id)
                                       .order_by(ScenarioStep.position))).all()
        current = [row.model_dump(exclude={"id", "scenario_id"}) for row in existing]
        if current == steps and latest.name == s.name and latest.purpose == purpose:
            rows.unchanged(session, latest)
            return latest
    scenario = Scenario(org_id=org.id, key=s.key, name=s.name, version=latest.version + 1 if latest else 1,
                        purpose=purpose)
    rows.versioned(session, scenario, s.key, latest.version if latest else None)
    session.add(scenario)
    await session.flush()
    session.add_all(ScenarioStep(scenario_id=scenario.id, **step) for step in steps)
    return scenario


class _DryRun(Exception):  # noqa: N818 (not an error: how a dry run rolls its transaction back)
    """Raised at the end of a dry run's writes, so that the session's transaction is rolled back."""


async def import_data(db: Database, raw: Any, source: str, today: date, fields: TemplateFields,
                      progress: Callable[[str], None] = lambda _: None, *, dry_run: bool = False) -> ImportReport:
    """Check the file against itself and what the organisations have, then write it in one transaction.
    A dry run writes it the same way and rolls it back: its report's `changes` say what it would do."""
    parsed = parse(raw, source)
    problems = [f"organisation {slug!r}: appears {n} times in the file (one entry per organisation)"
                for slug, n in repeated(org.slug for org in parsed.organisations)]
    report = ImportReport()
    try:
        async with db.session() as session:
            known = {org.slug: await load_stored(session, org.slug) for org in parsed.organisations}
            problems += [p for org in parsed.organisations for p in organisation_problems(org, fields, known[org.slug])]
            problems += [p for org in parsed.organisations for a in org.agencies
                         for p in agency_problems(f"organisation {org.slug!r}", a, fields.agency, today,
                                                  _given_or_stored(org, "currency", known[org.slug].organisation),
                                                  known[org.slug].agencies.get(a.slug))]
            if problems:
                raise ImportRejected(source, problems)
            for org_in in parsed.organisations:
                progress(f"{org_in.slug}: writing")
                await _write_organisation(session, org_in, known[org_in.slug], today, report, progress)
            report.changes = rows.changes(session)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


async def import_file(db: Database, path: Path, today: date, fields: TemplateFields,
                      progress: Callable[[str], None] = lambda _: None, *, dry_run: bool = False) -> ImportReport:
    return await import_data(db, read_file(path), str(path), today, fields, progress, dry_run=dry_run)
