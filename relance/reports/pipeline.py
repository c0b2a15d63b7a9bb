"""Pipeline: per rule, how often it fired (events it planned automations for) in the period, and per
automation of the rule how often it ran, failed, and why (the failure's first words)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from pydantic import BaseModel, Field

from relance.db import Database
from relance.reports.period import Scope
from relance.reports.sql import rows

# Automation runs of the events handled in the period; a rule is its key (all versions) in its process.
_AUTOMATIONS = """
WITH runs AS (
  SELECT sp.key AS process, r.key AS rule, max(r.name) OVER (PARTITION BY sp.key, r.key) AS name,
         a.opportunity_id, a.event_id, a.position, a.kind, a.state, a.detail
  FROM automationrun a JOIN pipelinerule r ON r.id = a.rule_id JOIN salesprocess sp ON sp.id = r.process_id
  JOIN pipelineevent e ON e.opportunity_id = a.opportunity_id AND e.event_id = a.event_id
  WHERE a.org_id = :org AND e.org_id = :org AND e.handled_at >= :since AND e.handled_at < :until
)
SELECT process, rule, min(name) AS name, position, kind,
       count(DISTINCT (opportunity_id, event_id)) AS ran,
       count(DISTINCT (opportunity_id, event_id)) AS ran,
       count(*) FILTER (WHERE state = 'failed') AS failed,
       array_agg(split_part(coalesce(detail, 'no detail'), ':', 1)) FILTER (WHERE state = 'failed') AS reasons
FROM runs GROUP BY process, rule, position, kind ORDER BY process, rule, position
"""

_FIRED = """
SELECT sp.key AS process, r.key AS rule, count(DISTINCT (a.opportunity_id, a.event_id)) AS fired
FROM automationrun a JOIN pipelinerule r ON r.id = a.rule_id JOIN salesprocess sp ON sp.id = r.process_id
JOIN pipelineevent e ON e.opportunity_id = a.opportunity_id AND e.event_id = a.event_id
WHERE a.org_id = :org AND e.org_id = :org AND e.handled_at >= :since AND e.handled_at < :until
GROUP BY 1, 2
"""


class Automation(BaseModel):
    position: int = Field(description="the automation's place in its rule, from 1")
    kind: str
    ran: int
    failed: int
    failures: dict[str, int] = Field(description="why it failed (the failure's first words) -> how often")


class RuleReport(BaseModel):
    process: str
    rule: str
    name: str
    fired: int = Field(description="events it planned automations for")
    automations: list[Automation]


class PipelineReport(BaseModel):
    organisation: str
    start: date
    end: date
    rules: list[RuleReport]


async def pipeline_report(db: Database, scope: Scope) -> PipelineReport:
    found = await rows(db, {"automations": _AUTOMATIONS, "fired": _FIRED}, scope)
    fired = {(row["process"], row["rule"]): row["fired"] for row in found["fired"]}
    rules: dict[tuple[str, str], RuleReport] = {}
    for row in found["automations"]:
        key = (row["process"], row["rule"])
        rule = rules.setdefault(key, RuleReport(process=key[0], rule=key[1], name=row["name"] or "",
                                                fired=fired.get(key, 0), automations=[]))
        rule.automations.append(Automation(position=row["position"] + 1, kind=row["kind"], ran=row["ran"],
                                           failed=row["failed"], failures=dict(Counter(row["reasons"] or []))))
    return PipelineReport(organisation=scope.org_slug, start=scope.start, end=scope.end, rules=list(rules.values()))
