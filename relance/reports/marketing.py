"""Marketing: per marketing scenario (and step) and per campaign, what the send-once ledger says went
in the period, and what SES's events and the contacts' opt-outs say happened next. Opened and clicked
stay at zero unless SES's configuration set publishes those events."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from relance.db import Database
from relance.reports.period import Scope
from relance.reports.sql import rows, scenario_filter
from relance.scenario.plan import step_number

# Each ledger row of the period, named by what made it: a marketing enrolment's step (its key ends
# ":<enrolment id>:<position>:email") or a campaign (its run's workflow id is campaign:<org>:<key>).
_EMAILS = """
WITH emails AS (
  SELECT 'scenario' AS source, s.key AS name, k.parts[2]::int AS position,
         l.state, l.provider_message_id, l.about_ref, l.claimed_at
  FROM emailledger l CROSS JOIN LATERAL (SELECT regexp_match(l.idem_key, ':(\\d+):(\\d+)\\:email$') AS parts) k
  JOIN marketingenrolment me ON me.id = k.parts[1]::int AND me.org_id = :org AND me.workflow_id = l.workflow_id
  JOIN scenario s ON s.id = me.scenario_id
  WHERE l.workflow_id LIKE 'marketing:%' AND l.org_id = :org
    AND l.claimed_at >= :since AND l.claimed_at < :until {filter}
  UNION ALL
  SELECT 'campaign', c.key, NULL, l.state, l.provider_message_id, l.about_ref, l.claimed_at
  FROM emailledger l
  JOIN emailcampaign c ON l.workflow_id = 'campaign:' || :org_slug || ':' || c.key AND c.org_id = :org
  WHERE l.org_id = :org AND l.claimed_at >= :since AND l.claimed_at < :until {campaigns}
), seen AS (
  SELECT ev.provider_message_id, array_agg(DISTINCT ev.kind) AS kinds
  FROM emailevent ev JOIN emails USING (provider_message_id) GROUP BY 1
)
SELECT source, name, position,
       count(*) FILTER (WHERE state = 'sent') AS sent,
       count(*) FILTER (WHERE state = 'not_sent') AS not_sent,
       count(*) FILTER (WHERE 'Delivery' = ANY(kinds)) AS delivered,
       count(*) FILTER (WHERE 'Bounce' = ANY(kinds)) AS bounced,
       count(*) FILTER (WHERE 'Complaint' = ANY(kinds)) AS complained,
       count(*) FILTER (WHERE 'Open' = ANY(kinds)) AS opened,
       count(*) FILTER (WHERE 'Click' = ANY(kinds)) AS clicked,
       count(DISTINCT c.id) FILTER (WHERE c.opted_out_at >= emails.claimed_at) AS unsubscribed
FROM emails LEFT JOIN seen USING (provider_message_id)
LEFT JOIN contact c ON c.org_id = :org AND c.ref = emails.about_ref
GROUP BY source, name, position ORDER BY source DESC, name, position
"""


class Reach(BaseModel):
    source: str = Field(description="scenario | campaign")
    name: str = Field(description="the scenario's or the campaign's key")
    step: int | None = Field(description="a scenario's step, from 1; none for a campaign")
    sent: int
    not_sent: int
    delivered: int
    bounced: int
    complained: int
    unsubscribed: int = Field(description="recipients who opted out after this email")
    opened: int
    clicked: int


class MarketingReport(BaseModel):
    organisation: str
    start: date
    end: date
    scenario: str | None
    rows: list[Reach]


async def marketing_report(db: Database, scope: Scope) -> MarketingReport:
    """A scenario filter keeps that scenario's rows (and no campaign)."""
    query = _EMAILS.format(filter=scenario_filter(scope), campaigns=" AND false" if scope.scenario else "")
    found = await rows(db, {"emails": query}, scope)
    return MarketingReport(organisation=scope.org_slug, start=scope.start, end=scope.end, scenario=scope.scenario,
                           rows=[_reach(row) for row in found["emails"]])


def _reach(row: dict) -> Reach:
    position = row.pop("position")
    return Reach(step=None if position is None else step_number(position), **row)
