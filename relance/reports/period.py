"""The period and filters every report takes, and the organisation they are confined to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from relance import calendar, limits, repository
from relance.db import Database
from relance.i18n import N_

DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366  # a report is about months, not decades: bounded work whatever is asked
# The days a report may name, those a business date may take (relance.limits): a day near the calendar's
# ends would overflow the period's arithmetic (the default 90 days before `to`, the first moment after it).
EARLIEST, LATEST = date(limits.FIRST_YEAR, 1, 1), date(limits.LAST_YEAR, 12, 31)


class BadPeriod(limits.Refused):
    """A period or filter refused, naming the field (bad input, as every refusal: a 422, exit 2): `message`
    is marked with N_ (the reports page says it in the reader's language), its %(name)s placeholders
    filled from `params`."""

    def __init__(self, message: str, **params: object):
        super().__init__(message % params)
        self.message, self.params = message, params


@dataclass(frozen=True)
class Scope:
    """One organisation (by id: every query names it), its zone and currency, the days from `start` to
    `end` inclusive (the organisation's days), optionally one scenario (key) and version."""

    org_id: int
    org_slug: str
    timezone: str
    currency: str
    start: date
    end: date
    scenario: str | None = None
    version: int | None = None

    @property
    def since(self) -> datetime:
        return calendar.at_local(self.start, time(0), self.timezone)

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return calendar.at_local(self.end + timedelta(days=1), time(0), self.timezone)

    def params(self) -> dict:
        return {"org": self.org_id, "org_slug": self.org_slug, "tz": self.timezone, "since": self.since,
                "until": self.until, "start": self.start, "end": self.end, "scenario": self.scenario,
                "version": self.version}


async def scope(db: Database, org_slug: str, start: date | None = None, end: date | None = None,
                scenario: str | None = None, version: int | None = None, now: datetime | None = None) -> Scope:
    """The scope of a report; by default the last 90 days up to today in the organisation's zone.
    Raises repository.NotFound for an unknown organisation, BadPeriod naming the field for a bad period."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
    for day, refusal in ((start, N_("from: %(day)s is not a day between %(earliest)s and %(latest)s")),
                         (end, N_("to: %(day)s is not a day between %(earliest)s and %(latest)s"))):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise BadPeriod(refusal, day=day.isoformat(), earliest=EARLIEST.isoformat(), latest=LATEST.isoformat())
    today = calendar.local_today(now or datetime.now(UTC), org.timezone)
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadPeriod(N_("from: %(start)s is after to (%(end)s)"), start=start.isoformat(), end=end.isoformat())
    if (end - start).days >= MAX_DAYS:
        raise BadPeriod(N_("from: the period is at most %(most)s days (asked %(asked)s)"), most=MAX_DAYS,
                        asked=(end - start).days + 1)
    if version is not None and scenario is None:
        raise BadPeriod(N_("version: needs scenario (the key of the scenario it is a version of)"))
    return Scope(org.id, org.slug, org.timezone, org.currency, start, end, scenario, version)
