"""Dunning effectiveness: what was reminded and recovered, after which step invoices were paid and how
fast, days sales outstanding and the overdue balance week by week, the same per scenario version, and
what could not be sent and why.

The runs counted are those started in the period (a scenario filter keeps its runs and their invoices).
An invoice is recovered when its run ended paid or it is paid: its payments on or after its first reminder
count, and an invoice marked paid without payments recorded counts for what was still due. Amounts are
in the organisation's currency (invoices carry no other)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from relance.db import Database
from relance.reports.period import Scope
from relance.reports.sql import rows, scenario_filter
from relance.scenario.plan import step_number

DSO_DAYS = 90  # days sales outstanding over the sales of the last 90 days

# The runs of the period, each with its invoice, scenario version, first reminder and payment.
_RUNS = """
WITH runs AS (
  SELECT r.workflow_id, r.exit_reason, s.key AS scenario, s.version, s.name AS scenario_name,
         i.amount_incl_tax AS amount, (i.status = 'paid' OR r.exit_reason = 'paid') AS paid, i.id AS invoice_id,
         (r.ended_at AT TIME ZONE :tz)::date AS ended_on
  FROM dunningrun r JOIN scenario s ON s.id = r.scenario_id JOIN invoice i ON i.id = r.invoice_id
  WHERE r.org_id = :org AND r.started_at >= :since AND r.started_at < :until {filter}
), sent AS (
  SELECT e.workflow_id, e.step_position AS position, min((e.occurred_at AT TIME ZONE :tz)::date) AS sent_on
  FROM runevent e JOIN runs USING (workflow_id)
  WHERE e.kind = 'email' AND e.outcome = 'sent' GROUP BY 1, 2
), paying AS (
  SELECT runs.workflow_id, max(p.paid_on) AS last_paid_on, coalesce(sum(p.amount), 0) AS paid_total,
         coalesce(sum(p.amount) FILTER (WHERE p.paid_on >= f.first_sent_on), 0) AS paid_after_reminder
  FROM runs
  JOIN (SELECT workflow_id, min(sent_on) AS first_sent_on FROM sent GROUP BY 1) f USING (workflow_id)
  LEFT JOIN payment p ON p.invoice_id = runs.invoice_id GROUP BY 1
), settled AS (
  SELECT runs.*, paying.paid_after_reminder
           + CASE WHEN runs.paid THEN greatest(runs.amount - paying.paid_total, 0) ELSE 0 END AS recovered,
         CASE WHEN runs.paid THEN coalesce(paying.last_paid_on, runs.ended_on) END AS paid_on
  FROM runs JOIN paying USING (workflow_id)
), last_step AS (
  SELECT settled.workflow_id, max(sent.position) AS position
  FROM settled JOIN sent USING (workflow_id)
  WHERE settled.paid_on IS NOT NULL AND sent.sent_on <= settled.paid_on GROUP BY 1
)
"""

_TOTALS = _RUNS + """
SELECT scenario, version, min(scenario_name) AS scenario_name, count(*) AS reminded,
       sum(amount) AS reminded_amount, count(*) FILTER (WHERE paid) AS recovered, sum(recovered) AS recovered_amount
FROM settled GROUP BY ROLLUP ((scenario, version)) ORDER BY scenario NULLS FIRST, version
"""

_FUNNEL = _RUNS + """
SELECT sent.position, count(*) AS reminded, count(l.workflow_id) AS paid_after,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY (st.paid_on - sent.sent_on)::float8)
         FILTER (WHERE l.workflow_id IS NOT NULL) AS median_days
FROM sent JOIN settled st USING (workflow_id)
LEFT JOIN last_step l ON l.workflow_id = sent.workflow_id AND l.position = sent.position
GROUP BY sent.position ORDER BY sent.position
"""

_STEP_LABELS = """
SELECT DISTINCT ON (st.position) st.position, st.label
FROM dunningrun r JOIN scenario s ON s.id = r.scenario_id JOIN scenariostep st ON st.scenario_id = s.id
WHERE r.org_id = :org AND r.started_at >= :since AND r.started_at < :until AND st.kind = 'email' {filter}
ORDER BY st.position, s.version DESC
"""

# Movements by day: an invoice adds to the receivable from its date and to the overdue balance from the
# day after its due date; a payment takes off from when it was paid (and not before the invoice counted).
# An invoice marked paid without payments recorded is taken as paid when its run ended, or on its due date.
_WEEKS = """
WITH inv AS (
  SELECT i.id, i.invoice_date, i.due_date, i.amount_incl_tax AS amount, i.status
  FROM invoice i
  WHERE i.org_id = :org AND i.status <> 'cancelled' AND i.invoice_date <= :end {invoice_filter}
), pay AS (
  SELECT p.invoice_id, p.paid_on, p.amount FROM payment p JOIN inv ON inv.id = p.invoice_id
  UNION ALL
  SELECT inv.id, coalesce((r.ended_at AT TIME ZONE :tz)::date, inv.due_date),
         inv.amount - coalesce((SELECT sum(p.amount) FROM payment p WHERE p.invoice_id = inv.id), 0)
  FROM inv LEFT JOIN dunningrun r ON r.invoice_id = inv.id WHERE inv.status = 'paid'
), daily AS (
  SELECT on_day, sum(receivable) AS receivable, sum(overdue) AS overdue, sum(sales) AS sales FROM (
    SELECT invoice_date AS on_day, amount AS receivable, 0 AS overdue, amount AS sales FROM inv
    UNION ALL SELECT due_date + 1, 0, amount, 0 FROM inv
    UNION ALL SELECT greatest(inv.invoice_date, pay.paid_on), -pay.amount, 0, 0
              FROM pay JOIN inv ON inv.id = pay.invoice_id
    UNION ALL SELECT greatest(inv.due_date + 1, pay.paid_on), 0, -pay.amount, 0
              FROM pay JOIN inv ON inv.id = pay.invoice_id
  ) m GROUP BY on_day
), points AS (
  SELECT least(d::date + 6, :end) AS week_end, d::date AS week_start
  FROM generate_series(date_trunc('week', CAST(:start AS date)), CAST(:end AS date), interval '7 days') AS d
)
SELECT week_start, week_end,
       coalesce(sum(receivable) FILTER (WHERE on_day <= week_end), 0) AS receivable,
       coalesce(sum(overdue) FILTER (WHERE on_day <= week_end), 0) AS overdue,
       coalesce(sum(sales) FILTER (WHERE on_day > week_end - {dso} AND on_day <= week_end), 0) AS sales
FROM points LEFT JOIN daily ON true GROUP BY week_start, week_end ORDER BY week_start
"""

_INVOICES_OF_SCENARIO = (" AND EXISTS (SELECT 1 FROM dunningrun r JOIN scenario s ON s.id = r.scenario_id"
                         " WHERE r.invoice_id = i.id{filter})")

# Emails a run could not send, by reason (its first word: "rejected by SES: ..." is "rejected by SES"),
# and those SES took but bounced.
_NOT_SENT = _RUNS + """
SELECT split_part(coalesce(e.reason, 'unknown'), ':', 1) AS reason, count(*) AS emails
FROM runevent e JOIN runs USING (workflow_id)
WHERE e.kind = 'email' AND e.outcome = 'not_sent' GROUP BY 1
UNION ALL
SELECT 'bounced', count(DISTINCT l.idem_key)
FROM emailledger l JOIN runs USING (workflow_id)
JOIN emailevent ev ON ev.provider_message_id = l.provider_message_id AND ev.kind = 'Bounce'
WHERE l.org_id = :org
ORDER BY emails DESC, reason
"""


class Amounts(BaseModel):
    currency: str
    reminded: int = Field(description="invoices sent at least one reminder, their runs started in the period")
    reminded_amount: Decimal = Field(description="their amounts including tax")
    recovered: int = Field(description="of them, those paid")
    recovered_amount: Decimal = Field(description="paid on or after the first reminder")


class ScenarioAmounts(Amounts):
    scenario: str
    version: int
    name: str


class FunnelStep(BaseModel):
    step: int = Field(description="the step as the CLI and the README number it, from 1")
    label: str
    reminded: int = Field(description="invoices this step was sent for")
    paid_after: int = Field(description="of them, paid after this step and before the next one went")
    median_days_to_payment: float | None = Field(description="days from this step to the payment, for those")


class Week(BaseModel):
    week_start: date
    week_end: date
    receivable: Decimal = Field(description="still due at the end of the week, invoices issued by then")
    overdue_balance: Decimal = Field(description="of it, past its due date")
    days_sales_outstanding: float | None = Field(description=f"receivable / sales of the last {DSO_DAYS} days × "
                                                             f"{DSO_DAYS}; none without sales")


class NotSent(BaseModel):
    reason: str
    emails: int


class DunningReport(BaseModel):
    organisation: str
    start: date
    end: date
    scenario: str | None
    version: int | None
    by_currency: list[Amounts]
    funnel: list[FunnelStep]
    weeks: list[Week]
    by_scenario: list[ScenarioAmounts]
    not_sent: list[NotSent]


async def dunning_report(db: Database, scope: Scope) -> DunningReport:
    runs_filter = scenario_filter(scope)
    found = await rows(db, {
        "totals": _TOTALS.format(filter=runs_filter),
        "funnel": _FUNNEL.format(filter=runs_filter),
        "labels": _STEP_LABELS.format(filter=runs_filter),
        "weeks": _WEEKS.format(dso=DSO_DAYS, invoice_filter=_INVOICES_OF_SCENARIO.format(filter=runs_filter)
                               if scope.scenario else ""),
        "not_sent": _NOT_SENT.format(filter=runs_filter),
    }, scope)
    totals = [row for row in found["totals"] if row["scenario"] is None]
    labels = {row["position"]: row["label"] for row in found["labels"]}
    return DunningReport(
        organisation=scope.org_slug, start=scope.start, end=scope.end, scenario=scope.scenario, version=scope.version,
        by_currency=[_amounts(scope, row) for row in totals if row["reminded"]] or [_amounts(scope, {})],
        funnel=[FunnelStep(step=step_number(row["position"]), label=labels.get(row["position"], ""),
                           reminded=row["reminded"], paid_after=row["paid_after"],
                           median_days_to_payment=row["median_days"]) for row in found["funnel"]],
        weeks=[_week(row) for row in found["weeks"]],
        by_scenario=[ScenarioAmounts(scenario=row["scenario"], version=row["version"], name=row["scenario_name"],
                                     **_amounts(scope, row).model_dump())
                     for row in found["totals"] if row["scenario"] is not None],
        not_sent=[NotSent(**row) for row in found["not_sent"] if row["emails"]],
    )


def _amounts(scope: Scope, row: dict) -> Amounts:
    return Amounts(currency=scope.currency, reminded=row.get("reminded") or 0,
                   reminded_amount=row.get("reminded_amount") or Decimal("0.00"),
                   recovered=row.get("recovered") or 0,
                   recovered_amount=row.get("recovered_amount") or Decimal("0.00"))


def _week(row: dict) -> Week:
    dso = None if not row["sales"] else round(float(row["receivable"] / row["sales"]) * DSO_DAYS, 1)
    return Week(week_start=row["week_start"], week_end=row["week_end"], receivable=row["receivable"],
                overdue_balance=row["overdue"], days_sales_outstanding=dso)
