"""Reports over HTTP: what reminders, campaigns and pipeline rules achieved in a period (relance.reports),
as JSON or CSV (`format=csv`). Confined to the key's organisation: its id is in every query."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from relance import limits
from relance.api.auth import organisation
from relance.api.contract import INT32_MAX, ContractRoute
from relance.api.problems import ProblemError, documented
from relance.api.services import Services, services
from relance.reports import period
from relance.reports.dunning import DunningReport
from relance.reports.kinds import REPORTS
from relance.reports.marketing import MarketingReport
from relance.reports.pipeline import PipelineReport
from relance.reports.tables import csv_headers, csv_text

router = APIRouter(prefix="/v1/reports", tags=["reports"], route_class=ContractRoute,
                   responses=documented(401, 403, 422))
CSV = {200: {"content": {"text/csv": {}}, "description": "the report; as CSV with format=csv (a first column "
                                                          "names each table)"}}


class Filters:
    """The period and filters of every report, as query parameters."""

    def __init__(self, start: date | None = Query(None, alias="from", description="first day (default: 90 days "
                                                                                    "before `to`)"),
                 end: date | None = Query(None, alias="to", description="last day, in the organisation's zone "
                                                                         "(default: today)"),
                 scenario: str | None = Query(None, min_length=1, max_length=limits.MAX_ID_LENGTH,
                                              description="one scenario's key"),
                 version: int | None = Query(None, ge=1, le=INT32_MAX, description="one version of `scenario`"),
                 format: Literal["json", "csv"] = Query("json")):
        self.start, self.end, self.scenario, self.version, self.format = start, end, scenario, version, format


async def _report(kind: str, filters: Filters, org: str, svc: Services):
    try:
        where = await period.scope(svc.db, org, filters.start, filters.end, filters.scenario, filters.version)
    except ValueError as refused:
        field = str(refused).split(":")[0]
        raise ProblemError(422, f"the report's period or filters: {refused}", [f"{field}: {refused}"])
    report = await REPORTS[kind](svc.db, where)
    if filters.format == "csv":
        return PlainTextResponse(csv_text(report), media_type="text/csv", headers=csv_headers(kind, where))
    return report


@router.get("/dunning", response_model=DunningReport, responses=CSV)
async def dunning(filters: Filters = Depends(), org: str = Depends(organisation), svc: Services = Depends(services)):
    """Amounts reminded and recovered, the funnel of steps with the median days to payment after each,
    the receivable, overdue balance and days sales outstanding by week, the same per scenario version,
    and what could not be sent and why."""
    return await _report("dunning", filters, org, svc)


@router.get("/marketing", response_model=MarketingReport, responses=CSV)
async def marketing(filters: Filters = Depends(), org: str = Depends(organisation),
                    svc: Services = Depends(services)):
    """Per marketing scenario step and per campaign: sent, not sent, delivered, bounced, complained,
    unsubscribed, opened and clicked (those two when SES publishes them)."""
    return await _report("marketing", filters, org, svc)


@router.get("/pipeline", response_model=PipelineReport, responses=CSV)
async def pipeline(filters: Filters = Depends(), org: str = Depends(organisation), svc: Services = Depends(services)):
    """Per rule, how often it fired; per automation, how often it ran and failed, and why."""
    return await _report("pipeline", filters, org, svc)
