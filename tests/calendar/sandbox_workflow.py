"""A workflow that only uses the calendar, to run it inside Temporal's real workflow sandbox."""

from datetime import date, datetime, time

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from relance import calendar


@workflow.defn
class CalendarProbe:
    @workflow.run
    async def run(self, countries: list[str], moment: str, tz: str) -> list[str]:
        return probe(countries, datetime.fromisoformat(moment), tz)


def probe(countries: list[str], moment: datetime, tz: str) -> list[str]:
    """What a workflow asks of the calendar, as text: the same inside the sandbox and out."""
    answers = []
    for country in countries:
        opening = calendar.Opening(start=time(8, 30), end=time(17), country=country)
        answers.append(calendar.next_opening(moment, opening, tz).isoformat())
        answers += [str(calendar.closed_reason(date(2026, month, day), opening)) for month, day in
                    ((1, 6), (4, 6), (6, 2), (10, 12), (11, 3), (12, 8))]
    answers.append(calendar.add_days(moment, 30, tz).isoformat())
    answers.append(calendar.at_local(date(2026, 3, 29), time(2, 30), tz).isoformat())
    return answers
