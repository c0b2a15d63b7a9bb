"""The import file (YAML or JSON): its shape, checked field by field. Documented in the README.

Dates may be absolute (2026-11-24) or relative to the import day ("today", "today-20", "today+3"),
which is how the demo stays overdue whatever day it is loaded.

The defaults below are those of a record created; a field left out of a record stored already keeps
its stored value, and an explicit null clears an optional one (pydantic's `model_fields_set` tells the
two apart; importing/rows.py writes only those).
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from relance import calendar, conditions, limits

RELATIVE_DAY = re.compile(r"^today(?:([+-])(\d{1,5}))?$")


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email address {value!r}: {exc}") from exc


Email = Annotated[str, AfterValidator(_email)]


class DayRef(str):
    """A date as written in the file, resolved against the import day."""

    def resolve(self, today: date) -> date:
        match = RELATIVE_DAY.match(self)
        if match:
            sign, days = match.groups()
            return today + timedelta(days=int(days or 0) * (-1 if sign == "-" else 1))
        return date.fromisoformat(self)


def _day(value: object) -> DayRef:
    text = value.isoformat() if isinstance(value, date) else str(value)
    match = RELATIVE_DAY.match(text)
    if match and int(match.group(2) or 0) > 10 * limits.MAX_DAYS:
        raise ValueError(f"invalid date {text!r}: at most today±{10 * limits.MAX_DAYS}")
    if not match:
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"invalid date {text[:40]!r}: use YYYY-MM-DD or today, today-N, today+N") from exc
        if not limits.FIRST_YEAR <= day.year <= limits.LAST_YEAR:
            raise ValueError(
                f"invalid date {text!r}: the year must be between {limits.FIRST_YEAR} and {limits.LAST_YEAR}")
    return DayRef(text)


Day = Annotated[object, AfterValidator(_day)]
# Identifiers end up in workflow ids and search attributes: bounded, and never with a NUL.
Identifier = Annotated[str, Field(min_length=1), AfterValidator(limits.check_identifier)]
# Invoice numbers and contract references travel in URLs and workflow ids.
REFERENCE_PATTERN = r"^[A-Za-z0-9._/-]+$"
Name = Annotated[str, Field(max_length=limits.MAX_NAME_LENGTH), AfterValidator(limits.check_text)]
Days = Annotated[int, AfterValidator(limits.check_days)]
SignedDays = Annotated[int, AfterValidator(lambda days: limits.check_days(days, negative=True))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserIn(Strict):
    email: Email
    first_name: Name = ""
    last_name: Name = ""
    notify_on_reminder: bool = False
    notify_by: Literal["task", "email"] = Field(
        default="task", description="how a pipeline rule's notify reaches them: a task in their agenda, or an email")


TemplateBody = Annotated[str, Field(max_length=limits.MAX_TEMPLATE_LENGTH), AfterValidator(limits.check_text)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]


class TranslationIn(Strict):
    subject: Name
    body: TemplateBody


class TemplateIn(Strict):
    key: Identifier
    name: Name
    subject: Name
    body: TemplateBody
    translations: dict[Language, TranslationIn] = Field(
        default={}, description="the template in other languages (en, nl-BE...): a customer whose account has "
        "that language gets it; the others get subject and body. Given, it replaces the stored translations")


NOT_IN_URLS = re.compile(r"[\s<>\"`{}|\\^\x00-\x1f\x7f]")


def _http_url(value: str) -> str:
    """An http(s) URL with a host, bounded: what a link in an email may be."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value[:100]!r} is not an http(s) URL")
    if NOT_IN_URLS.search(value):
        raise ValueError(f"{value[:100]!r} has characters a URL cannot hold (spaces, quotes, <, >...): "
                         "percent-encode them")
    return value


HttpUrl = Annotated[str, Field(max_length=2000), AfterValidator(_http_url)]


class TaskIn(Strict):
    title: Name
    assignee: Email | None = None
    due_in_days: Days = 0


def _weekdays(value: str) -> str:
    """Checked and written back compactly ("monday-friday" is refused, "mon,tue,wed" becomes "mon-wed")."""
    return calendar.format_weekdays(calendar.parse_weekdays(value))


WeekDays = Annotated[str, AfterValidator(_weekdays)]


class StepIn(Strict):
    kind: Literal["email", "pause", "action"]
    label: Name
    offset_days: SignedDays | None = None
    days: int | None = Field(default=None, description="pause length")
    template: Identifier | None = None
    sender: Email | None = None
    sender_name: Name | None = None
    window: tuple[time, time] | None = None
    send_days: WeekDays | None = Field(default=None, description="e.g. mon-fri; default: the organisation's")
    task: TaskIn | None = None
    attach_invoice: bool = Field(default=False, description="the email carries the invoice's documents")

    @field_validator("days")
    @classmethod
    def _not_negative(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError(f"a pause cannot be negative ({value} days)")
        return value if value is None else limits.check_days(value)


class ScenarioIn(Strict):
    key: Identifier
    name: Name
    steps: list[StepIn]


class MarketingScenarioIn(ScenarioIn):
    """A marketing scenario (relance.marketing): its offsets count from the day a contact is enrolled."""

    enabled: bool = Field(default=True, description="switched off: running enrolments exit before their next step")
    reentry: bool = Field(default=False, description="a contact who finished may be enrolled again")


class CampaignIn(Strict):
    """An email campaign's draft (relance.marketing): one template to a list, launched later by a person."""

    key: str
    name: str
    template: str
    sender: Email | None = Field(default=None, description="default: the organisation's sender")
    tag: str | None = Field(default=None, description="the audience: the contacts with this tag, or")
    account: str | None = Field(default=None, description="the contacts of this account, or")
    contact: str | None = Field(default=None, description="this one contact")


# --- the sales pipeline (relance.pipeline, issue 13) ---------------------------------------------

ASSIGNED_TO = "[[!AssignedToId]]"  # the shortcode of the opportunity's salesperson (seed 004)
RESULTS = ("open", "won", "lost", "dormant")


def condition_vocabulary(stages: list[str] | None = None) -> conditions.Vocabulary:
    """What a rule's condition may name (issue 26): the opportunity as it is once the event is applied,
    the event's own fields (`event.`), the custom fields the host sends (`custom.`)."""
    F = conditions.Field
    known = tuple(stages) if stages else None
    return conditions.Vocabulary({
        "process": F("text", "the process", "le processus"),
        "stage": F("text", "the stage", "l'étape", known),
        "result": F("text", "the result", "le résultat", RESULTS),
        "amount": F("number", "the amount", "le montant"),
        "tags": F("list", "the tags", "les tags"),
        "salesperson": F("text", "the salesperson", "le commercial"),
        "account": F("text", "the account", "le compte"),
        "close_date": F("date", "the close date", "la date de clôture"),
        "event.previous_stage": F("text", "the previous stage", "l'étape précédente", known),
        "event.previous_result": F("text", "the previous result", "le résultat précédent", RESULTS),
        "event.stage": F("text", "the event's stage", "l'étape de l'événement", known),
        "event.result": F("text", "the event's result", "le résultat de l'événement", RESULTS),
        "event.amount": F("number", "the event's amount", "le montant de l'événement"),
        "event.assigned_to": F("text", "the event's salesperson", "le commercial de l'événement"),
        "event.quote_state": F("text", "the quote's state", "l'état du devis", ("sent", "reopened")),
        "event.action_type": F("text", "the action's type", "le type de l'action"),
        "event.action_state": F("text", "the action's state", "l'état de l'action", ("open", "closed")),
        "event.title": F("text", "the action's title", "le titre de l'action"),
        "event.due_on": F("date", "the action's due date", "l'échéance de l'action"),
    }, {"custom.": F("any", "the field", "le champ")})


class StageIn(Strict):
    key: Identifier
    name: Name = ""


TIME_TRIGGERS = ("days_in_stage", "days_before_close", "days_after_close", "days_after_result")


class TriggerIn(Strict):
    """`when` (YAML reads a bare `on` as true): result (won, lost, dormant); enters_stage (stage);
    stage_change (from, to); quote_sent; quote_reopened; action_created / action_closed (type).
    Time triggers (issue 26), `days` after their anchor, in open days with `business_days`:
    days_in_stage (an open opportunity N days in its stage, or in `stage`, without a stage change);
    days_before_close / days_after_close (an open opportunity, its close date, at 09:00 in the
    organisation's zone); days_after_result (`result` won, lost or dormant for N days)."""

    when: Literal["result", "enters_stage", "stage_change", "quote_sent", "quote_reopened", "action_created",
                  "action_closed", "days_in_stage", "days_before_close", "days_after_close", "days_after_result"]
    result: Literal["won", "lost", "dormant"] | None = None
    stage: Identifier | None = None
    from_stage: Identifier | None = Field(default=None, alias="from")
    to_stage: Identifier | None = Field(default=None, alias="to")
    type: Identifier | None = None
    days: Annotated[int, Field(ge=0, le=3650)] | None = Field(default=None, description="time triggers: N days")
    business_days: bool | None = Field(default=None, description="time triggers: count open days only")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AutomationIn(Strict):
    """One automation (`do`) and the fields its kind uses; the others must stay empty."""

    do: Literal["create_action", "notify", "enrol", "unenrol", "send_email", "add_tag", "create_campaign",
                "remove_tag", "update_field", "assign", "wait", "call_host"]
    type: Identifier | None = Field(default=None, description="create_action: the action type")
    title: Name | None = Field(default=None, description="create_action: the action's title")
    assignee: str | None = Field(default=None, description=f"create_action: a user's address or {ASSIGNED_TO}")
    due_in_days: Days | None = Field(default=None, description="create_action: 0 = today, in the organisation's zone")
    business_days: bool = Field(default=False, description="create_action: count open days only")
    text: Name | None = Field(default=None, description="notify: the notification's text")
    user: str | None = Field(default=None, description=f"notify: a user's address or {ASSIGNED_TO}, reached by "
                             "their own channel (notify_by: a task or an email); left out: the opportunity's feed")
    scenario: Identifier | None = Field(default=None, description="enrol / unenrol: a marketing scenario")
    to: str | None = Field(default=None, description=f"send_email: {ASSIGNED_TO}, 'contact' or an address")
    sender: Email | None = Field(default=None, description="send_email / create_campaign / notify (a user reading "
                                 "by email; default: the dunning sender): a user of the organisation")
    template: Identifier | None = Field(default=None, description="send_email / create_campaign: a template")
    document_url: Annotated[str, Field(max_length=2000, pattern=r"^https?://")] | None = Field(
        default=None, description="send_email: the document's download link ([[!DocumentUrl]] in the template)")
    attach: list[Identifier] | None = Field(
        default=None, max_length=5, description="send_email: keys of the organisation's documents the email carries "
        "(POST /v1/documents, `relance document add`)")
    tag: Annotated[str, Field(pattern=r"^[\w.-]+$", max_length=100)] | None = Field(
        default=None, description="add_tag / remove_tag")
    name: Name | None = Field(default=None, description="create_campaign: the draft's name")
    field: Literal["stage", "result", "amount", "close_date", "salesperson"] | None = Field(
        default=None, description="update_field: the field set (an event of its own: rules react to it)")
    value: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="update_field: its new value (a stage, a result, an amount, a date "
                                  f"YYYY-MM-DD, a user's address or {ASSIGNED_TO})")
    users: list[Email] | None = Field(default=None, min_length=1, max_length=100,
                                      description="assign: round robin among these users")
    by: Literal["round_robin", "account_owner"] | None = Field(
        default=None, description="assign: round_robin among `users` (the default), or the account's owner")
    endpoint: Annotated[str, Field(min_length=1, max_length=2000)] | None = Field(
        default=None, description="call_host: a webhook endpoint of the organisation, by its id or its URL "
                                  "(`relance webhook add`, POST /v1/webhook-endpoints): its secret signs the call")
    days: Days | None = Field(default=None, description="wait: N days (the rule's next automations go on then)")
    at: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] | None = Field(
        default=None, description="wait: until this time of day in the organisation's zone (after `days`)")
    condition: dict | None = Field(default=None, description="wait: go on only if this still holds then")


class RuleIn(Strict):
    key: Identifier
    name: Name = ""
    enabled: bool = True
    trigger: TriggerIn
    condition: dict | None = Field(default=None, description="when the trigger fires, the rule runs only if "
                                   "this holds (relance.conditions: and, or, not, field with is, gt, in, contains...)")
    automations: list[AutomationIn] = Field(min_length=1)


class ProcessIn(Strict):
    key: Identifier
    name: Name
    stages: list[StageIn] = Field(min_length=1, description="in order")
    rules: list[RuleIn] = []


class ActionTypeIn(Strict):
    key: Identifier
    name: Name = ""


class OpportunityIn(Strict):
    ref: Annotated[Identifier, Field(pattern=REFERENCE_PATTERN)]
    name: Name = ""
    process: Identifier
    stage: Identifier
    result: Literal["open", "won", "lost", "dormant"] = "open"
    assigned_to: Email | None = None
    account: Identifier | None = None
    contact: Identifier | None = None
    amount: Decimal | None = Field(default=None, ge=0)
    tags: list[Annotated[str, Field(pattern=r"^[\w.-]+$")]] = []
    close_on: date | None = Field(default=None, description="the expected close date")
    custom: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,100}$")], Annotated[str, Field(max_length=200)]] = \
        Field(default={}, max_length=50, description="the host's own fields (conditions: custom.<name>)")


class PipelineIn(Strict):
    action_types: list[ActionTypeIn] = []
    processes: list[ProcessIn] = []
    opportunities: list[OpportunityIn] = []


Tag = Annotated[str, Field(pattern=r"^[\w.-]+$", max_length=100)]


class ScenarioRuleIn(Strict):
    """An assignment rule (relance.dunning.assignment): a tag, or a range of the amount due, and its scenario."""

    scenario: Identifier
    tag: Tag | None = None
    min_due: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    max_due: Decimal | None = Field(default=None, gt=0, max_digits=12, decimal_places=2)


class DunningIn(Strict):
    enabled: bool = False
    apply_to_new_invoices: bool = False
    send_window: tuple[time, time] = (time(9), time(18))
    send_days: WeekDays = "mon-fri"
    scenario: Identifier | None = None
    sender: Email | Literal["invoice_creator"] | None = None
    late_interest_rate: Decimal | None = Field(
        default=None, ge=0, le=100, max_digits=6, decimal_places=3,
        description="yearly late-payment interest, percent ([[!LateInterest]], Code de commerce L441-10)")
    one_email_per_customer: bool = Field(default=False, description="an account's reminders due the same day "
                                         "go as one email listing them")
    scenario_rules: list[ScenarioRuleIn] = Field(default=[], max_length=100, description="ordered, first match "
                                                 "wins; given, the list replaces the stored one ([] clears it)")
    minimum_amounts: dict[str, Decimal] = Field(
        default={}, description="currency -> the amount due below which no step goes (skipped, with the reason); "
        "given, it replaces the organisation's")

    @field_validator("minimum_amounts")
    @classmethod
    def _minimums(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        return checked_minimums(value)


def checked_minimums(value: dict[str, Decimal | None]) -> dict[str, Decimal | None]:
    """Minimum amounts per ISO currency, each within the currency's decimals (None: no minimum)."""
    return {limits.check_currency(currency): None if amount is None else
            limits.check_amount(amount, currency, positive=True) for currency, amount in value.items()}


class ContactIn(Strict):
    ref: Identifier
    civility: Name = ""
    first_name: Name = ""
    last_name: Name = ""
    email: Email | None = None
    billing: bool = False
    decision_maker: bool = False
    tags: list[Annotated[str, Field(pattern=r"^[\w.-]+$")]] = Field(
        default=[], description="what batch enrolment selects contacts by")
    opted_out: bool | None = Field(
        default=None, description="marketing consent: true records an opt-out (via import) unless there is one, "
        "false clears it, absent leaves it as it is (an opt-out by link is never undone by a re-import)")
    deleted: bool = Field(default=False, description="true: the host deleted the contact, its marketing runs exit; "
                          "false: restored; absent leaves it as it is")


class AccountIn(Strict):
    ref: Identifier
    name: Name | None = Field(default=None, description="needed when the account is new")
    email: Email | None = None
    cc: list[Email] = Field(default=[], max_length=10, description="extra recipients in copy of every email")
    language: Language | None = Field(default=None, description="the customer's: templates in it when they have "
                                      "that translation; dates and amounts in it")
    contacts: list[ContactIn] = []
    tags: list[Tag] = Field(default=[], max_length=50, description="what dunning assignment rules select by")
    dunning_scenario: Identifier | None = Field(default=None, description="the account's own dunning scenario "
                                                "(null: the rules and the default decide)")
    owner: Email | None = Field(default=None, description="a user of the organisation who owns the account "
                                "(pipeline: assign by account owner); null clears it")
    dunning_excluded: Annotated[str, Field(min_length=1, max_length=limits.MAX_NAME_LENGTH)] | None = Field(
        default=None, description="why the account is excluded from dunning (its runs hold); null lifts it (its "
        "held runs go on); absent leaves it as it is")


class PaymentIn(Strict):
    ref: Identifier
    amount: Decimal = Field(gt=0)  # within the column and the currency's decimals: checked per organisation
    paid_on: Day


class InvoiceIn(Strict):
    number: Annotated[Identifier, Field(pattern=REFERENCE_PATTERN)]
    account: Identifier
    contact: Identifier | None = None
    creator: Email | None = None
    invoice_date: Day
    due_date: Day
    amount_excl_tax: Decimal = Field(ge=0)
    amount_incl_tax: Decimal = Field(ge=0)
    status: Literal["issued", "in_payment", "paid", "cancelled"] = "issued"
    do_not_remind: bool = False
    payment_schedule: bool = False
    payment_url: HttpUrl | None = Field(default=None, description="the host's page to pay it ([[!PaymentUrl]])")
    document_url: HttpUrl | None = Field(default=None, description="the invoice's PDF, fetched and kept by relance "
                                         "when the import is written (public addresses only)")
    payments: list[PaymentIn] = []


class RenewalsIn(Strict):
    """Seed 000's settings: the notice goes `alert_days` before the end of each commitment term."""

    enabled: bool = False
    alert_days: Annotated[int, Field(ge=1), AfterValidator(limits.check_days)] = 30
    template: Identifier | None = None
    sender: Email | None = None


class ContractIn(Strict):
    ref: Annotated[Identifier, Field(pattern=REFERENCE_PATTERN)]
    account: Identifier
    billing_contact: Identifier | None = None  # the only recipient of the renewal notices
    start_date: Day
    period: Literal["monthly", "quarterly", "half_yearly", "yearly", "multi_year"]
    years: int | None = Field(default=None, ge=2, le=99, description="length of a multi-year term")
    tacit_renewal: bool = True
    status: Literal["active", "settled"] = "active"
    amount: Decimal | None = Field(default=None, ge=0)


def known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


class AgencyStaffIn(Strict):
    email: Email
    name: Name
    morning_summary: bool = Field(default=False, description="receives the day's summary by email")


class PropertyIn(Strict):
    ref: Identifier
    name: Name


class AgencyTemplateIn(Strict):
    subject: Name
    body: Annotated[str, Field(max_length=limits.MAX_TEMPLATE_LENGTH), AfterValidator(limits.check_text)]


class AgencyKindIn(Strict):
    """One kind of retro-planned email (seed 003): on or off, its delay from the booking's date (before
    balance due, arrival, option expiry; after departure), its template per language."""

    enabled: bool = True
    delay_days: Days = 0
    templates: dict[Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")], AgencyTemplateIn] = {}


class BookingPaymentIn(Strict):
    ref: Identifier
    amount: Decimal = Field(gt=0)
    paid_on: Day


class BookingIn(Strict):
    reference: Annotated[Identifier, Field(pattern=REFERENCE_PATTERN)]
    property: Identifier
    guest_name: Name
    guest_email: Email
    guest_language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "fr"
    arrival: Day
    departure: Day
    status: Literal["option", "confirmed", "cancelled"] = "confirmed"
    option_expires_on: Day | None = None
    balance_amount: Decimal = Field(default=Decimal(0), ge=0)
    balance_due_on: Day | None = None
    payments: list[BookingPaymentIn] = []


class AgencyIn(Strict):
    slug: Annotated[Identifier, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    name: Name
    timezone: str = "Europe/Paris"
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "fr"
    send_window: tuple[time, time] = (time(9, 0), time(18, 0))
    sender_email: Email
    sender_name: Name | None = None
    staff: list[AgencyStaffIn] = []
    properties: list[PropertyIn] = []
    kinds: dict[Literal["balance", "arrival", "option", "after_departure"], AgencyKindIn] = {}
    bookings: list[BookingIn] = []

    @field_validator("timezone")
    @classmethod
    def _agency_zone(cls, value: str) -> str:
        return known_zone(value)


class OrganisationIn(Strict):
    slug: Annotated[Identifier, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    name: Name | None = Field(default=None, description="needed when the organisation is new")
    timezone: str = "Europe/Paris"
    locale: str = "fr_FR"
    currency: str = "EUR"
    holiday_country: str | None = Field(
        default=None, description="ISO country whose public holidays close the send windows; default: "
        "the locale's country; 'none' for no holidays")
    holiday_subdivision: str | None = None
    dunning: DunningIn = DunningIn()
    renewals: RenewalsIn = RenewalsIn()
    users: list[UserIn] = []
    templates: list[TemplateIn] = []
    scenarios: list[ScenarioIn] = []
    marketing_scenarios: list[MarketingScenarioIn] = []
    campaigns: list[CampaignIn] = []
    pipeline: PipelineIn = PipelineIn()
    accounts: list[AccountIn] = []
    invoices: list[InvoiceIn] = []
    contracts: list[ContractIn] = []
    agencies: list[AgencyIn] = []

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        return limits.check_currency(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("holiday_country")
    @classmethod
    def _country_or_none(cls, value: str | None) -> str | None:
        """'none' is stored as '' (no public holidays); None keeps the locale's country."""
        return None if value is None else "" if value.lower() == "none" else value.upper()

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        try:
            Locale.parse(value)
        except (UnknownLocaleError, ValueError) as exc:
            raise ValueError(f"unknown locale {value!r}") from exc
        return value


class ImportFile(Strict):
    organisations: list[OrganisationIn]
