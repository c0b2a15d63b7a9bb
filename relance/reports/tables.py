"""A report as tables (a title, headers, rows of text): what the CSV export and the CLI print."""

from __future__ import annotations

from dataclasses import dataclass

from relance.reports.dunning import DunningReport
from relance.reports.marketing import MarketingReport
from relance.reports.period import Scope
from relance.reports.pipeline import PipelineReport


@dataclass(frozen=True)
class Table:
    name: str
    headers: list[str]
    rows: list[list[str]]


def _text(value) -> str:
    return "" if value is None else str(value)


def _table(name: str, items: list, fields: list[str]) -> Table:
    return Table(name, fields, [[_text(getattr(item, field)) for field in fields] for item in items])


def tables(report: DunningReport | MarketingReport | PipelineReport) -> list[Table]:
    if isinstance(report, DunningReport):
        amounts = ["reminded", "reminded_amount", "recovered", "recovered_amount"]
        return [
            _table("amounts", report.by_currency, ["currency", *amounts]),
            _table("funnel", report.funnel, ["step", "label", "reminded", "paid_after", "median_days_to_payment"]),
            _table("weeks", report.weeks, ["week_start", "week_end", "receivable", "overdue_balance",
                                           "days_sales_outstanding"]),
            _table("scenarios", report.by_scenario, ["scenario", "version", "name", "currency", *amounts]),
            _table("not_sent", report.not_sent, ["reason", "emails"]),
        ]
    if isinstance(report, MarketingReport):
        return [_table("marketing", report.rows, ["source", "name", "step", "sent", "not_sent", "delivered",
                                                  "bounced", "complained", "unsubscribed", "opened", "clicked"])]
    return [Table("pipeline", ["process", "rule", "name", "fired", "automation", "kind", "ran", "failed", "failures"],
                  [[rule.process, rule.rule, rule.name, str(rule.fired), str(a.position), a.kind, str(a.ran),
                    str(a.failed), "; ".join(f"{why} ×{count}" for why, count in a.failures.items())]
                   for rule in report.rules for a in rule.automations])]


def csv_headers(kind: str, scope: Scope) -> dict[str, str]:
    """A download named after what it holds."""
    return {"Content-Disposition": f'attachment; filename="{kind}-{scope.org_slug}-{scope.start}-{scope.end}.csv"'}


def csv_text(report: DunningReport | MarketingReport | PipelineReport) -> str:
    """One CSV: each table under a first column naming it, so a spreadsheet filters by table."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for table in tables(report):
        writer.writerow(["table", *table.headers])
        writer.writerows([table.name, *row] for row in table.rows)
    return out.getvalue()
