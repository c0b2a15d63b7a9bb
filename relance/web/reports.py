"""The reports page beside the outbox: what the organisation's reminders, campaigns and pipeline rules
achieved, for a person signed in with an account of the organisation (the same session and tenancy as
the outbox: the report is of the account's organisation, whatever is asked). French or English; the
charts are drawn by Chart.js, served from relance's own static files (static/vendor)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

from relance import repository
from relance.api.services import Services, services
from relance.reports import period
from relance.reports.kinds import REPORTS
from relance.reports.tables import csv_headers, csv_text
from relance.web.pages import HEADERS, page
from relance.web.session import PATH, Refused, Visitor, signed_in

router = APIRouter(prefix=PATH, include_in_schema=False)
LANGUAGES = {"fr": "fr_FR", "en": "en_GB"}


async def _scope(svc: Services, you: Visitor, start: date | None, end: date | None, scenario: str | None,
                 version: int | None) -> period.Scope:
    try:
        return await period.scope(svc.db, you.org_slug, start, end, scenario or None, version)
    except ValueError as refused:
        raise Refused(422, f"No report for this period: {refused}.")


def _language(lang: str | None, locale: str) -> str:
    return lang if lang in LANGUAGES else ("fr" if locale.startswith("fr") else "en")


@router.get("/reports")
async def reports_page(request: Request, lang: str | None = None, start: date | None = Query(None, alias="from"),
                       end: date | None = Query(None, alias="to"), scenario: str | None = Query(None, max_length=200),
                       version: int | None = Query(None, ge=1, le=2**31 - 1), you: Visitor = Depends(signed_in),
                       svc: Services = Depends(services)):
    where = await _scope(svc, you, start, end, scenario, version)
    reports = {kind: await make(svc.db, where) for kind, make in REPORTS.items()}
    language = _language(lang, await _locale(svc, you))
    locale = LANGUAGES[language]
    return page(request, you, "reports.html", where=where, lang=language, dunning=reports["dunning"],
                marketing=reports["marketing"], pipeline=reports["pipeline"],
                money=lambda value: format_currency(Decimal(value), where.currency, locale=locale),
                number=lambda value: "–" if value is None else format_decimal(value, locale=locale),
                day=lambda value: value.strftime("%d/%m/%Y" if language == "fr" else "%d %b %Y"),
                chart=_chart_data(reports["dunning"]))


@router.get("/reports/{kind}.csv")
async def reports_csv(kind: str, start: date | None = Query(None, alias="from"),
                      end: date | None = Query(None, alias="to"), scenario: str | None = Query(None, max_length=200),
                      version: int | None = Query(None, ge=1, le=2**31 - 1), you: Visitor = Depends(signed_in),
                      svc: Services = Depends(services)):
    if kind not in REPORTS:
        raise Refused(404, f"There is no report “{kind}”: the reports are {', '.join(REPORTS)}.")
    where = await _scope(svc, you, start, end, scenario, version)
    return PlainTextResponse(csv_text(await REPORTS[kind](svc.db, where)), media_type="text/csv",
                             headers={**HEADERS, **csv_headers(kind, where)})


async def _locale(svc: Services, you: Visitor) -> str:
    async with svc.db.session() as session:
        return (await repository.organisation(session, you.org_slug)).locale


def _chart_data(report) -> dict:
    """What the page's script draws: plain numbers, the labels translated by the template."""
    return {
        "funnel": [{"step": f"{s.step}. {s.label}", "reminded": s.reminded, "paid": s.paid_after}
                   for s in report.funnel],
        "weeks": [{"week": w.week_end.isoformat(), "overdue": float(w.overdue_balance),
                   "receivable": float(w.receivable), "dso": w.days_sales_outstanding} for w in report.weeks],
    }
