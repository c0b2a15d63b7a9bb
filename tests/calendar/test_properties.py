"""Properties of windows and calendar days over real zones (half-hour DST, 45-minute offsets, DST at
midnight, negative DST), random moments from 2020 to 2035, random windows, weekdays and holidays."""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from relance.calendar import Opening, add_days, at_local, in_zone, is_open_day, next_opening, zone

ZONES = [
    "UTC", "Europe/Paris", "Europe/London", "Europe/Dublin", "America/New_York", "America/Los_Angeles",
    "America/Sao_Paulo", "America/Santiago", "America/Havana", "America/St_Johns", "Asia/Kolkata",
    "Asia/Kathmandu", "Australia/Lord_Howe", "Australia/Adelaide", "Pacific/Chatham", "Pacific/Auckland",
    "Africa/Casablanca",
]
COUNTRIES = [(None, None), ("FR", None), ("FR", "57"), ("US", None), ("US", "NY"), ("DE", None), ("DE", "BY"),
             ("GB", None), ("GB", "SCT")]
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
PROPERTIES = settings(database=None, deadline=None, max_examples=200)

# Minutes after midnight, with the hours DST changes happen in drawn more often.
minutes = st.one_of(st.integers(0, 1439), st.integers(0, 4 * 60), st.sampled_from([0, 60, 90, 120, 150, 180]))


@st.composite
def windows(draw) -> Opening:
    start = draw(minutes.filter(lambda m: m < 1439))
    end = draw(st.one_of(st.integers(start + 1, 1440), st.just(start + 1)))
    country, subdivision = draw(st.sampled_from(COUNTRIES))
    return Opening(
        start=time(*divmod(start, 60)),
        end=time(23, 59, 59) if end == 1440 else time(*divmod(end, 60)),
        weekdays=tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1)))),
        country=country,
        subdivision=subdivision,
    )


@st.composite
def moments(draw) -> tuple[datetime, str]:
    """An aware moment and the organisation's zone; the moment is either local (any fold) or in UTC."""
    tz = draw(st.sampled_from(ZONES))
    local = st.datetimes(datetime(2020, 1, 1), datetime(2035, 12, 31), timezones=st.just(zone(tz)),
                         allow_imaginary=False)
    near_a_change = st.builds(
        lambda day, minute, fold: at_local(day, time(*divmod(minute, 60)), tz).replace(fold=fold),
        st.dates(date(2020, 1, 1), date(2035, 12, 31)), minutes, st.integers(0, 1))
    in_utc = st.datetimes(datetime(2020, 1, 1), datetime(2035, 12, 31), timezones=st.just(UTC))
    return draw(st.one_of(local, near_a_change, in_utc)), tz


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def inside(moment: datetime, opening: Opening, tz: str) -> bool:
    local = in_zone(moment, tz)
    return is_open_day(local.date(), opening) and opening.start <= local.time() < opening.end


def exists(day: date, wall: time, tz: str) -> bool:
    naive = datetime.combine(day, wall.replace(fold=0))
    return utc(naive.replace(tzinfo=zone(tz))).astimezone(zone(tz)).replace(tzinfo=None) == naive


def repeated(moment: datetime, tz: str) -> bool:
    """The local wall time of `moment` happens twice that day (the clocks went back over it)."""
    local = in_zone(moment, tz)
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


@PROPERTIES
@given(moments(), windows())
def test_the_next_opening_is_the_first_open_instant_at_or_after_the_moment(moment_and_zone, opening):
    moment, tz = moment_and_zone
    opened = next_opening(moment, opening, tz)
    assert utc(opened) >= utc(moment)
    assert inside(opened, opening, tz)
    # Minimal: no instant before it is open. Windows start on whole minutes and every offset and DST change
    # of these zones is a whole minute, so checking each whole minute (skipping closed days) is exhaustive.
    probe = utc(moment).replace(second=0, microsecond=0) + MINUTE
    while probe < utc(opened):
        local_day = in_zone(probe, tz).date()
        if not is_open_day(local_day, opening):
            probe = max(probe + MINUTE, utc(at_local(local_day + DAY, time(0), tz)))
            continue
        assert not inside(probe, opening, tz), f"{in_zone(probe, tz)} is open, before {in_zone(opened, tz)}"
        probe += MINUTE


@PROPERTIES
@given(moments(), windows())
def test_the_next_opening_of_an_opening_is_itself(moment_and_zone, opening):
    moment, tz = moment_and_zone
    opened = next_opening(moment, opening, tz)
    assert next_opening(opened, opening, tz) is opened
    if inside(moment, opening, tz):
        assert opened is moment


@PROPERTIES
@given(moments(), st.integers(-800, 800))
def test_n_days_later_is_n_local_dates_later_at_the_same_wall_time(moment_and_zone, days):
    moment, tz = moment_and_zone
    local = in_zone(moment, tz)
    target, wall = local.date() + timedelta(days=days), local.time()
    later = in_zone(add_days(moment, days, tz), tz)
    assert later.date() == target
    if exists(target, wall, tz):
        assert later.time() == wall
    else:  # skipped by a DST change: the first instant after the gap
        assert later.time() > wall
        assert in_zone(utc(later) - timedelta(microseconds=1), tz).time() < wall


@PROPERTIES
@given(moments(), st.integers(-800, 800))
def test_n_days_later_then_n_days_back_is_the_same_moment(moment_and_zone, days):
    moment, tz = moment_and_zone
    local = in_zone(moment, tz)
    assert utc(add_days(moment, 0, tz)) == utc(moment)
    if exists(local.date() + timedelta(days=days), local.time(), tz) and not repeated(moment, tz):
        assert utc(add_days(add_days(moment, days, tz), -days, tz)) == utc(moment)


@PROPERTIES
@given(st.sampled_from(ZONES), st.dates(date(2020, 1, 1), date(2035, 12, 31)), minutes)
def test_a_local_time_is_that_wall_time_or_the_end_of_the_gap_that_skips_it(tz, day, minute):
    wall = time(*divmod(minute, 60))
    moment = at_local(day, wall, tz)
    local = in_zone(moment, tz)
    assert local.date() == day
    if exists(day, wall, tz):
        assert local.time() == wall and local.fold == 0
    else:
        assert local.time() > wall
        assert in_zone(utc(moment) - timedelta(microseconds=1), tz).time() < wall
