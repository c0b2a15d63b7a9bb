"""The reports page beside the outbox: what the organisation's reminders, campaigns and pipeline rules
achieved, for a person signed in with an account of the organisation (the same session and tenancy as
the outbox: the report is of the account's organisation, whatever is asked). French or English; the
charts are drawn by Chart.js, served from relance's own static files (static/vendor)."""

from __future__ import annotations

import dataclasses
import functools
from datetime import date

from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

from relance import i18n
from relance.api.services import Services, services
from relance.i18n import N_
from relance.reports import period
from relance.reports.kinds import REPORTS
from relance.reports.tables import csv_headers, csv_text
from relance.web import wording
from relance.web.pages import HEADERS, page
from relance.web.session import PATH, Refused, Visitor, signed_in

router = APIRouter(prefix=PATH, include_in_schema=False)


async def _scope(svc: Services, you: Visitor, start: date | None, end: date | None, scenario: str | None,
                 version: int | None) -> period.Scope:
    try:
        return await period.scope(svc.db, you.org_slug, start, end, scenario or None, version)
    except period.BadPeriod as refused:
        raise Refused(422, refused.message, reader=you, **refused.params)


def _reader(you: Visitor, lang: str | None) -> Visitor:
    """The visitor reading in `lang` when the page's switch asks for one of relance's languages (amounts and
    dates in that language where the organisation is), else in their own."""
    if lang not in i18n.LANGUAGES or lang == you.language:
        return you
    return dataclasses.replace(you, language=lang, locale=i18n.reading_locale(lang, you.locale))


def _number(value, locale: str) -> str:
    return "–" if value is None else format_decimal(value, locale=locale)


@router.get("/reports")
async def reports_page(request: Request, lang: str | None = None, start: date | None = Query(None, alias="from"),
                       end: date | None = Query(None, alias="to"), scenario: str | None = Query(None, max_length=200),
                       version: int | None = Query(None, ge=1, le=2**31 - 1), you: Visitor = Depends(signed_in),
                       svc: Services = Depends(services)):
    reader = _reader(you, lang)  # a refused period reads in the language asked for too
    where = await _scope(svc, reader, start, end, scenario, version)
    reports = {kind: await make(svc.db, where) for kind, make in REPORTS.items()}
    return page(request, reader, "reports.html", where=where, dunning=reports["dunning"],
                marketing=reports["marketing"], pipeline=reports["pipeline"], not_sent_reasons=wording.NOT_SENT,
                number=functools.partial(_number, locale=reader.locale),
                percent=functools.partial(format_percent, locale=reader.locale),
                chart=_chart_data(reports["dunning"]))


@router.get("/reports/{kind}.csv")
async def reports_csv(kind: str, start: date | None = Query(None, alias="from"),
                      end: date | None = Query(None, alias="to"), scenario: str | None = Query(None, max_length=200),
                      version: int | None = Query(None, ge=1, le=2**31 - 1), you: Visitor = Depends(signed_in),
                      svc: Services = Depends(services)):
    if kind not in REPORTS:
        raise Refused(404, N_("There is no report “%(kind)s”: the reports are %(reports)s."), kind=kind,
                      reports=", ".join(REPORTS))
    where = await _scope(svc, you, start, end, scenario, version)
    return PlainTextResponse(csv_text(await REPORTS[kind](svc.db, where)), media_type="text/csv",
                             headers={**HEADERS, **csv_headers(kind, where)})


def _chart_data(report) -> dict:
    """What the page's script draws: plain numbers, the labels translated by the template."""
    return {
        "funnel": [{"step": f"{s.step}. {s.label}", "reminded": s.reminded, "paid": s.paid_after}
                   for s in report.funnel],
        "weeks": [{"week": w.week_end.isoformat(), "overdue": float(w.overdue_balance),
                   "receivable": float(w.receivable), "dso": w.days_sales_outstanding} for w in report.weeks],
    }
