"""Calendar arithmetic in a time zone: local days, daily opening windows, public holidays.

Workflows call it from Temporal's sandbox (imported as pass-through), so it is deterministic: no wall
clock, no randomness, and the only reads (time-zone files, holiday names) happen once per zone or country
and give the same answer every time.

Aware datetimes that share a tzinfo compare by wall clock and ignore `fold`, so every comparison here is
made in UTC; callers comparing results across a DST change should do the same.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import holidays.countries  # see _holidays
from temporalio import workflow

ALL_DAYS: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # Monday=0, as date.weekday()
WORKING_DAYS: tuple[int, ...] = (0, 1, 2, 3, 4)

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_FULL_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SEARCH_DAYS = 2 * 366 + 1  # how far next_opening looks before giving up

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_SUPPORTED_COUNTRIES = frozenset(code for code in holidays.list_supported_countries() if len(code) == 2)
# A holidays object fills a year in on its first lookup (years.add, then populate): two workflow threads
# sharing one object could see a half-filled year, so lookups are serialised.
_HOLIDAYS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Opening:
    """When sending is allowed: a daily window [start, end) on some weekdays, minus public holidays."""

    start: time = time(9, 0)
    end: time = time(18, 0)
    weekdays: tuple[int, ...] = WORKING_DAYS
    country: str | None = None  # ISO 3166 alpha-2; that country's public holidays are closed days
    subdivision: str | None = None  # e.g. "57" (Moselle) for FR, "NY" for US


# --- zones and local time ------------------------------------------------------------------------


@cache
def zone(tz: str) -> ZoneInfo:
    try:
        with _unsandboxed():  # the first use of a zone reads its file, perhaps from the tzdata package
            return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"tz: unknown time zone {tz!r}") from exc


def in_zone(moment: datetime, tz: str) -> datetime:
    return _aware(moment).astimezone(zone(tz))


def in_zone_or_none(moment: datetime | None, tz: str) -> datetime | None:
    """in_zone for a time that may not exist yet (a run not ended, a step not planned)."""
    return in_zone(moment, tz) if moment else None


WRITTEN_WIDTH = len("2026-12-17 10:41 +01:00")  # every time `written` writes has this width, for columns


def written(moment: datetime, tz: str | None = None) -> str:
    """`moment` as people read it in the CLI, pages and emails: the wall time in `tz` with its offset,
    `2026-12-17 10:41 +01:00`; without `tz`, in the zone `moment` already carries (an organisation's).
    "UTC" (+00:00) only where no organisation applies."""
    local = in_zone(moment, tz) if tz else _aware(moment)
    offset = local.isoformat(timespec="minutes")[16:]
    return f"{local:%Y-%m-%d %H:%M} {offset}"


def written_or(moment: datetime | None, tz: str, missing: str = "-") -> str:
    """written for a time that may not exist (never used, not planned): `missing` then."""
    return written(moment, tz) if moment else missing


def iso(moment: datetime, tz: str | None = None) -> str:
    """`moment` in JSON: ISO 8601 with its offset (`2026-12-17T10:41:00+01:00`), in `tz` or the zone it
    carries, as the API writes it."""
    return (in_zone(moment, tz) if tz else _aware(moment)).isoformat()


def local_today(now: datetime, tz: str) -> date:
    return in_zone(now, tz).date()


def at_local(day: date, moment: time, tz: str) -> datetime:
    """`moment` on `day` in the zone. A time skipped by a DST change becomes the first instant after
    the gap (02:30 -> 03:00); a repeated one is its first occurrence."""
    return _resolve(day, moment, zone(tz), fold=0)


def add_days(moment: datetime, days: int, tz: str) -> datetime:
    """`days` calendar days later in the zone: the same wall time on the date `days` later (not
    days*24h), so what was due at 09:00 stays at 09:00 across DST changes. Skipped times move as in at_local;
    a repeated time keeps the occurrence (fold) `moment` had, so add_days(m, 0) == m."""
    local = in_zone(moment, tz)
    return _resolve(local.date() + timedelta(days=days), local.time(), local.tzinfo, fold=local.fold)


def _aware(moment: datetime) -> datetime:
    # A naive datetime would be read in the machine's own zone: not deterministic.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"moment: {moment.isoformat()} has no time zone")
    return moment


def _resolve(day: date, moment: time, tz: ZoneInfo, fold: int) -> datetime:
    if moment.tzinfo is not None:
        raise ValueError(f"time: {moment.isoformat()} must be a local time, without a zone")
    wall = datetime.combine(day, moment.replace(fold=0))
    local = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC).astimezone(tz)
    if local.replace(tzinfo=None) == wall:
        return local
    # In a spring-forward gap: both readings of the wall time straddle the transition.
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return _transition(min(first, second), max(first, second), tz).astimezone(tz)


def _transition(before: datetime, after: datetime, tz: ZoneInfo) -> datetime:
    """The instant in [before, after] where the zone's UTC offset changes (transitions fall on whole
    seconds), by bisection: zoneinfo does not expose its transition table."""
    low = (before - _EPOCH) // _SECOND
    high = -((_EPOCH - after) // _SECOND)
    low_offset = _offset(low, tz)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(middle, tz) == low_offset:
            low = middle
        else:
            high = middle
    return _EPOCH + high * _SECOND


def _offset(seconds: int, tz: ZoneInfo) -> timedelta | None:
    return (_EPOCH + seconds * _SECOND).astimezone(tz).utcoffset()


# --- open days -----------------------------------------------------------------------------------


def is_open_day(day: date, opening: Opening) -> bool:
    """Sending is allowed on `day` at all: an allowed weekday that is not a public holiday."""
    return day.weekday() in opening.weekdays and _holiday(day, opening) is None


def closed_reason(day: date, opening: Opening) -> str | None:
    """Why `day` is closed, for logs and previews ("Sunday", "public holiday: Armistice Day")."""
    if day.weekday() not in opening.weekdays:
        return DAY_FULL_NAMES[day.weekday()]
    name = _holiday(day, opening)
    return f"public holiday: {name}" if name is not None else None


def _holiday(day: date, opening: Opening) -> str | None:
    if opening.country is None:
        return None
    calendar = _holidays(opening.country, opening.subdivision)
    with _HOLIDAYS_LOCK, _unsandboxed():
        return calendar.get(day)


@cache
def _holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    if country not in _SUPPORTED_COUNTRIES:
        raise ValueError(f"country: {country!r} is not a country with known public holidays")
    # The country's class, imported with this module, rather than holidays.country_holidays, which imports
    # `holidays` in its body and finds the class through a lazy loader (importlib): inside the workflow
    # sandbox those imports go to the sandbox's own module table and load a second copy of the package,
    # which fails there (dateutil reads the local time on import).
    entity = getattr(holidays.countries, country)
    # An explicit language: without one, holiday names follow the LANGUAGE/LANG environment variables.
    language = "en_US" if "en_US" in entity.supported_languages else entity.default_language
    try:
        with _unsandboxed():
            return entity(subdiv=subdivision, language=language)
    except NotImplementedError as exc:
        raise ValueError(f"subdivision: {subdivision!r} is not a subdivision of {country}") from exc


@contextmanager
def _unsandboxed() -> Iterator[None]:
    """The first use of a country or zone reads files and imports on the fly (holidays translates names
    with gettext, which imports `locale`); the workflow sandbox refuses those although the answers are the
    same every time, so they run with its restrictions lifted and imports passed through."""
    with workflow.unsafe.sandbox_unrestricted(), workflow.unsafe.imports_passed_through():
        yield


# --- windows -------------------------------------------------------------------------------------


def next_opening(moment: datetime, opening: Opening, tz: str) -> datetime:
    """The first instant at or after `moment` whose local wall time is inside [start, end) on an open
    day: `moment` itself when it already is, else that instant in the zone."""
    if problems := validate_opening(opening):
        raise ValueError("; ".join(problems))
    tzinfo = zone(tz)
    origin = _aware(moment).astimezone(UTC)
    local = origin.astimezone(tzinfo)
    day = local.date()
    if is_open_day(day, opening) and _inside(local, opening):
        return moment
    for _ in range(SEARCH_DAYS):
        if is_open_day(day, opening):
            found = [c for c in _window_edges(day, opening, tzinfo)
                     if c.astimezone(UTC) >= origin and c.date() == day and _inside(c, opening)]
            if found:
                return min(found, key=lambda c: c.astimezone(UTC))
        day += timedelta(days=1)
    raise ValueError(f"weekdays, country: no open day within {SEARCH_DAYS} days after {moment.isoformat()}")


def _inside(local: datetime, opening: Opening) -> bool:
    return opening.start <= local.time() < opening.end


def _window_edges(day: date, opening: Opening, tz: ZoneInfo) -> list[datetime]:
    """Every instant of `day` where the window can begin: each occurrence of `start` (two on a day whose
    clocks go back) and the DST transition, where the wall clock can jump into the window."""
    edges = [_resolve(day, opening.start, tz, fold=0), _resolve(day, opening.start, tz, fold=1)]
    midnight = _resolve(day, time(0), tz, fold=0)
    next_midnight = _resolve(day + timedelta(days=1), time(0), tz, fold=0)
    if midnight.utcoffset() != next_midnight.utcoffset():
        edges.append(_transition(midnight.astimezone(UTC), next_midnight.astimezone(UTC), tz).astimezone(tz))
    return edges


# --- validation and text -------------------------------------------------------------------------


def validate_opening(opening: Opening) -> list[str]:
    """Every problem with `opening`, each naming its field, so a form can show them all at once."""
    try:
        return list(_problems(opening))
    except TypeError:  # unhashable, e.g. weekdays given as a list
        return list(_find_problems(opening))


@lru_cache(maxsize=1024)
def _problems(opening: Opening) -> tuple[str, ...]:
    return _find_problems(opening)


def _find_problems(opening: Opening) -> tuple[str, ...]:
    problems: list[str] = []
    days = opening.weekdays
    if not isinstance(days, tuple | list):
        problems.append(f"weekdays: {days!r} is not a list of day numbers (0 = Monday ... 6 = Sunday)")
        days = ()
    elif not days:
        problems.append("weekdays: empty, so sending would never be allowed (Monday to Friday is (0, 1, 2, 3, 4))")
    seen: set[int] = set()
    for day in days:
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            problems.append(f"weekdays: {day!r} is not a weekday (0 = Monday ... 6 = Sunday)")
        elif day in seen:
            problems.append(f"weekdays: {DAY_NAMES[day]} ({day}) is listed twice")
        else:
            seen.add(day)
    bounds_ok = True
    for field in ("start", "end"):
        value = getattr(opening, field)
        if not isinstance(value, time) or value.tzinfo is not None:
            problems.append(f"{field}: {value!r} is not a local time of day")
            bounds_ok = False
    if bounds_ok and opening.start >= opening.end:
        problems.append(f"start: {opening.start.isoformat()} is not before end: {opening.end.isoformat()} "
                        "(a window opens and closes on the same day)")
    country, subdivision = opening.country, opening.subdivision
    if country is not None and country not in _SUPPORTED_COUNTRIES:
        hint = f" (did you mean {country.upper()!r}?)" if str(country).upper() in _SUPPORTED_COUNTRIES else ""
        problems.append(f"country: {country!r} is not an ISO 3166 alpha-2 code with known public holidays{hint}")
    elif subdivision is not None and country is None:
        problems.append(f"subdivision: {subdivision!r} needs a country")
    elif subdivision is not None:
        try:
            _holidays(country, subdivision)
        except ValueError:
            known = ", ".join(holidays.list_supported_countries()[country])
            problems.append(f"subdivision: {subdivision!r} is not a subdivision of {country} (known: {known})")
    return tuple(problems)


def default_country(locale: str) -> str | None:
    """The country whose holidays an organisation most likely keeps, from its locale ("fr_FR" -> "FR");
    None when the locale names no region or one without known holidays."""
    for part in re.split(r"[-_]", re.split(r"[.@]", locale or "")[0])[1:]:
        if len(part) == 2 and part.isalpha():
            return part.upper() if part.upper() in _SUPPORTED_COUNTRIES else None
    return None


def parse_weekdays(text: str) -> tuple[int, ...]:
    """"mon-fri", "mon,wed,fri", "sat,sun" -> weekday numbers (Monday=0), sorted. A range may wrap
    around the week ("fri-mon")."""
    days: set[int] = set()
    for token in text.split(","):
        bounds = [_day_number(part, token, text) for part in token.split("-")]
        if len(bounds) == 1:
            days.add(bounds[0])
        elif len(bounds) == 2:
            first, last = bounds
            days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            raise ValueError(f"weekdays: {token.strip()!r} in {text!r} is not a day or a range like mon-fri")
    return tuple(sorted(days))


def _day_number(part: str, token: str, text: str) -> int:
    name = part.strip().lower()
    for number, (short, full) in enumerate(zip(DAY_NAMES, DAY_FULL_NAMES, strict=True)):
        if name in (short, full.lower()):
            return number
    raise ValueError(f"weekdays: {token.strip()!r} in {text!r} is not a day; "
                     f"use {', '.join(DAY_NAMES)} or a range like mon-fri")


def format_weekdays(days: tuple[int, ...]) -> str:
    """The compact text parse_weekdays reads back: runs of three days or more as ranges."""
    for day in days:
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise ValueError(f"weekdays: {day!r} is not a weekday (0 = Monday ... 6 = Sunday)")
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}")
        else:
            parts.extend(DAY_NAMES[day] for day in run)
    return ",".join(parts)
