"""Dunning effectiveness: what was reminded and recovered, after which step invoices were paid and how
fast, days sales outstanding and the overdue balance week by week, the same per scenario version, and
what could not be sent and why.

The runs counted are those started in the period (a scenario filter keeps its runs and their invoices).
An invoice is recovered when its run ended paid or it is paid: its payments on or after its first reminder
count, and an invoice marked paid without payments recorded counts for what was still due. Amounts are
in the organisation's currency (invoices carry no other)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from relance.db import Database
from relance.reports.period import Scope
from relance.reports.sql import rows, scenario_filter
from relance.scenario.plan import step_number

DSO_DAYS = 90  # days sales outstanding over the sales of the last 90 days

# The runs of the period, each with its invoice, reminders sent and payments; grouped by invoice id (an
# integer: sorting and hashing the workflow ids' text costs more). One statement answers the totals, the
# funnel, what was not sent and the steps' labels as JSON, so the runs and their timelines are read once;
# the scenarios are joined to the totals once grouped.
_RUNS = """
WITH runs AS MATERIALIZED (
  SELECT r.workflow_id, r.invoice_id, r.scenario_id, r.ended_at, i.amount_incl_tax AS amount,
         (i.status = 'paid' OR r.exit_reason = 'paid') AS paid
  FROM dunningrun r JOIN invoice i ON i.id = r.invoice_id
  WHERE r.org_id = :org AND r.started_at >= :since AND r.started_at < :until {filter}
), emails AS MATERIALIZED (  -- one sent row a step: the timeline writes a step's email once (its idem_key)
  SELECT runs.invoice_id, e.step_position AS position, e.outcome, e.reason,
         (e.occurred_at AT TIME ZONE :tz)::date AS on_day
  FROM runevent e JOIN runs USING (workflow_id)
  WHERE e.kind = 'email' AND e.outcome IN ('sent', 'not_sent')
), first AS MATERIALIZED (
  SELECT invoice_id, min(on_day) AS first_sent_on FROM emails WHERE outcome = 'sent' GROUP BY 1
), paying AS (
  SELECT p.invoice_id, max(p.paid_on) AS last_paid_on, sum(p.amount) AS paid_total,
         coalesce(sum(p.amount) FILTER (WHERE p.paid_on >= first.first_sent_on), 0) AS paid_after_reminder
  FROM payment p JOIN first USING (invoice_id) GROUP BY 1
), settled AS MATERIALIZED (
  SELECT runs.invoice_id, runs.scenario_id, runs.amount, runs.paid,
         coalesce(paying.paid_after_reminder, 0)
           + CASE WHEN runs.paid THEN greatest(runs.amount - coalesce(paying.paid_total, 0), 0) ELSE 0 END AS recovered,
         CASE WHEN runs.paid THEN coalesce(paying.last_paid_on, (runs.ended_at AT TIME ZONE :tz)::date) END AS paid_on
  FROM runs JOIN first USING (invoice_id) LEFT JOIN paying USING (invoice_id)
), last_step AS (  -- the step a paid invoice was paid after: the last one sent by the day it was paid
  SELECT DISTINCT ON (e.invoice_id) e.position, st.paid_on - e.on_day AS days
  FROM emails e JOIN settled st USING (invoice_id)
  WHERE e.outcome = 'sent' AND e.on_day <= st.paid_on
  ORDER BY e.invoice_id, e.position DESC
), totals AS (
  SELECT t.*, s.key AS scenario, s.version, s.name AS scenario_name FROM (
    SELECT scenario_id, count(*) AS reminded, sum(amount) AS reminded_amount,
           count(*) FILTER (WHERE paid) AS recovered, sum(recovered) AS recovered_amount
    FROM settled GROUP BY ROLLUP (scenario_id)
  ) t LEFT JOIN scenario s ON s.id = t.scenario_id
), funnel AS (
  SELECT position, reminded, coalesce(paid.paid_after, 0) AS paid_after, paid.median_days
  FROM (SELECT position, count(*) AS reminded FROM emails WHERE outcome = 'sent' GROUP BY 1) sent
  LEFT JOIN (SELECT position, count(*) AS paid_after,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY days::float8) AS median_days
             FROM last_step GROUP BY 1) paid USING (position)
), not_sent AS (
  -- Emails a run could not send, by reason (its first words: "rejected by SES: ..." is "rejected by SES"),
  -- and those SES took but bounced.
  SELECT split_part(coalesce(reason, 'unknown'), ':', 1) AS reason, count(*) AS emails
  FROM emails WHERE outcome = 'not_sent' GROUP BY 1
  UNION ALL
  SELECT 'bounced', count(DISTINCT l.idem_key)
  FROM emailevent ev JOIN emailledger l ON l.provider_message_id = ev.provider_message_id
  WHERE ev.kind = 'Bounce' AND l.org_id = :org AND l.workflow_id IN (SELECT workflow_id FROM runs)
), labels AS (  -- a step's label in the latest version of the scenarios that ran
  SELECT DISTINCT ON (st.position) st.position, st.label
  FROM scenario s JOIN scenariostep st ON st.scenario_id = s.id
  WHERE s.id IN (SELECT DISTINCT scenario_id FROM runs) AND st.kind = 'email'
  ORDER BY st.position, s.version DESC
)
SELECT json_build_object(
  'totals', (SELECT coalesce(json_agg(totals ORDER BY scenario NULLS FIRST, version), '[]') FROM totals),
  'funnel', (SELECT coalesce(json_agg(funnel ORDER BY position), '[]') FROM funnel),
  'not_sent', (SELECT coalesce(json_agg(not_sent ORDER BY emails DESC, reason), '[]') FROM not_sent),
  'labels', (SELECT coalesce(json_agg(labels), '[]') FROM labels))::text
"""

# Movements by day: an invoice adds to the receivable from its date and to the overdue balance from the
# day after its due date; a payment takes off from when it was paid (and not before the invoice counted).
# An invoice marked paid without payments recorded is taken as paid when its run ended, or on its due date.
# Each kind of movement is summed by day on its own (a few hundred days, not a row per movement and kind).
_WEEKS = """
WITH inv AS MATERIALIZED (
  SELECT i.id, i.invoice_date, i.due_date, i.amount_incl_tax AS amount, i.status
  FROM invoice i
  WHERE i.org_id = :org AND i.status <> 'cancelled' AND i.invoice_date <= :end {invoice_filter}
), payments AS MATERIALIZED (
  SELECT inv.id, inv.invoice_date, inv.due_date, p.paid_on, p.amount
  FROM payment p JOIN inv ON inv.id = p.invoice_id
), pay AS (
  SELECT invoice_date, due_date, paid_on, amount FROM payments
  UNION ALL
  SELECT inv.invoice_date, inv.due_date,
         coalesce((SELECT (r.ended_at AT TIME ZONE :tz)::date FROM dunningrun r WHERE r.invoice_id = inv.id),
                  inv.due_date),
         inv.amount - coalesce(t.total, 0)
  FROM inv LEFT JOIN (SELECT id, sum(amount) AS total FROM payments GROUP BY 1) t ON t.id = inv.id
  WHERE inv.status = 'paid' AND inv.amount <> coalesce(t.total, 0)
), daily AS (
  SELECT on_day, sum(issued) AS issued, sum(fell_due) AS fell_due, sum(paid) AS paid, sum(paid_late) AS paid_late
  FROM (
    SELECT invoice_date AS on_day, sum(amount) AS issued, 0 AS fell_due, 0 AS paid, 0 AS paid_late FROM inv GROUP BY 1
    UNION ALL SELECT due_date + 1, 0, sum(amount), 0, 0 FROM inv GROUP BY 1
    UNION ALL SELECT greatest(invoice_date, paid_on), 0, 0, sum(amount), 0 FROM pay GROUP BY 1
    UNION ALL SELECT greatest(due_date + 1, paid_on), 0, 0, 0, sum(amount) FROM pay GROUP BY 1
  ) m GROUP BY on_day
), points AS (
  SELECT least(d::date + 6, :end) AS week_end, d::date AS week_start
  FROM generate_series(date_trunc('week', CAST(:start AS date)), CAST(:end AS date), interval '7 days') AS d
)
SELECT week_start, week_end,
       coalesce(sum(issued - paid) FILTER (WHERE on_day <= week_end), 0) AS receivable,
       coalesce(sum(fell_due - paid_late) FILTER (WHERE on_day <= week_end), 0) AS overdue,
       coalesce(sum(issued) FILTER (WHERE on_day > week_end - {dso} AND on_day <= week_end), 0) AS sales
FROM points LEFT JOIN daily ON true GROUP BY week_start, week_end ORDER BY week_start
"""


def _of_scenario(scope: Scope) -> str:
    """The condition on a run `r` a scenario filter adds (none without one)."""
    if scope.scenario is None:
        return ""
    return f" AND r.scenario_id IN (SELECT s.id FROM scenario s WHERE s.org_id = :org{scenario_filter(scope)})"


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


def statements(scope: Scope) -> dict[str, str]:
    """The report's SQL for `scope` (bench/reports.py --explain prints their plans)."""
    runs_filter = _of_scenario(scope)
    return {
        "runs": _RUNS.format(filter=runs_filter),
        "weeks": _WEEKS.format(dso=DSO_DAYS, invoice_filter=runs_filter and
                               f" AND EXISTS (SELECT 1 FROM dunningrun r WHERE r.invoice_id = i.id{runs_filter})"),
    }


async def dunning_report(db: Database, scope: Scope) -> DunningReport:
    found = await rows(db, statements(scope), scope)
    found.update(json.loads(next(iter(found.pop("runs")[0].values())), parse_float=Decimal))
    totals = [row for row in found["totals"] if row["scenario_id"] is None]
    labels = {row["position"]: row["label"] for row in found["labels"]}
    return DunningReport(
        organisation=scope.org_slug, start=scope.start, end=scope.end, scenario=scope.scenario, version=scope.version,
        by_currency=[_amounts(scope, row) for row in totals if row["reminded"]] or [_amounts(scope, {})],
        funnel=[_step(row, labels) for row in found["funnel"]],
        weeks=[_week(row) for row in found["weeks"]],
        by_scenario=[ScenarioAmounts(scenario=row["scenario"], version=row["version"], name=row["scenario_name"],
                                     **_amounts(scope, row).model_dump())
                     for row in found["totals"] if row["scenario_id"] is not None],
        not_sent=[NotSent(**row) for row in found["not_sent"] if row["emails"]],
    )


def _amounts(scope: Scope, row: dict) -> Amounts:
    return Amounts(currency=scope.currency, reminded=row.get("reminded") or 0,
                   reminded_amount=row.get("reminded_amount") or Decimal("0.00"),
                   recovered=row.get("recovered") or 0,
                   recovered_amount=row.get("recovered_amount") or Decimal("0.00"))


def _step(row: dict, labels: dict[int, str]) -> FunnelStep:
    median = row["median_days"]
    return FunnelStep(step=step_number(row["position"]), label=labels.get(row["position"], ""),
                      reminded=row["reminded"], paid_after=row["paid_after"],
                      median_days_to_payment=None if median is None else float(median))


def _week(row: dict) -> Week:
    dso = None if not row["sales"] else round(float(row["receivable"] / row["sales"]) * DSO_DAYS, 1)
    return Week(week_start=row["week_start"], week_end=row["week_end"], receivable=row["receivable"],
                overdue_balance=row["overdue"], days_sales_outstanding=dso)
