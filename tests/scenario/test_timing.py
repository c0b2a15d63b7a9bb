"""Step timing: send windows in the organisation's zone, across DST, and spacing kept after a delay."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from relance.calendar import ALL_DAYS, WORKING_DAYS
from relance.dunning.types import RunPlan
from relance.scenario.plan import PlannedStep
from relance.scenario.timing import Progress, ideal_at, scheduled_at, send_time, upcoming

PARIS = ZoneInfo("Europe/Paris")


def plan(*steps: PlannedStep, due: date = date(2026, 3, 20), country: str | None = None) -> RunPlan:
    return RunPlan("o", "F-1", "C1", 1, "s", "Europe/Paris", due, datetime(2026, 3, 1, 12, tzinfo=UTC), list(steps),
                   holiday_country=country)


def email(position: int, offset: int | None = None, weekdays=ALL_DAYS) -> PlannedStep:
    return PlannedStep(position, "email", f"e{position}", offset_days=offset, weekdays=weekdays)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_window_opening_is_local_time_across_the_spring_dst_change():
    p = plan(email(0, offset=10))  # due 20 March + 10 = 30 March, after DST (29 March)
    at = scheduled_at(p, 0, None)
    assert at.astimezone(PARIS).time() == time(9) and at.astimezone(UTC).hour == 7


def test_a_pause_of_n_days_keeps_the_local_time_across_the_dst_change():
    p = plan(email(0, offset=0), PlannedStep(1, "pause", "p", pause_days=20), email(2))
    done = paris(2026, 3, 20, 9)
    assert scheduled_at(p, 2, Progress(0, done, done)) == paris(2026, 4, 9, 9)  # 9:00 Paris, not 10:00


def test_a_late_step_pushes_the_next_offset_step_by_as_much():
    p = plan(email(0, offset=0), email(1, offset=10))
    late = Progress(0, paris(2026, 3, 25, 9), ideal_at(p, 0, None))
    assert scheduled_at(p, 1, late) == paris(2026, 4, 4, 9)


def test_after_a_hold_every_later_offset_step_keeps_its_spacing_no_burst():
    """Three offset steps 10 days apart; the first is held 30 days. The old rule pushed only the next
    step and let the third go right after it."""
    p = plan(email(0, offset=0), email(1, offset=10), email(2, offset=20))
    steps = upcoming(p, 0, paris(2026, 4, 19, 9), None)
    times = [at for _, at in steps]
    assert times[0] == paris(2026, 4, 19, 9)
    assert [b - a for a, b in zip(times, times[1:], strict=False)] == [timedelta(days=10)] * 2


def test_a_step_on_a_weekend_or_public_holiday_goes_at_the_next_opening():
    p = plan(email(0, offset=0, weekdays=WORKING_DAYS), due=date(2026, 5, 1), country="FR")  # Friday, Labour day
    assert scheduled_at(p, 0, None) == paris(2026, 5, 4, 9)


def test_a_step_pushed_by_a_closed_day_pushes_the_next_one_too():
    """The first goes on Monday instead of Saturday: the second keeps its 10 days from it."""
    p = plan(email(0, offset=0, weekdays=WORKING_DAYS), email(1, offset=10, weekdays=WORKING_DAYS),
             due=date(2026, 5, 2))
    first = scheduled_at(p, 0, None)
    assert first == paris(2026, 5, 4, 9)
    assert scheduled_at(p, 1, Progress(0, first, ideal_at(p, 0, None))) == paris(2026, 5, 14, 9)


ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    due=st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31)),
    offsets=st.lists(st.integers(min_value=-10, max_value=60), min_size=1, max_size=5).map(sorted),
    late_days=st.integers(min_value=0, max_value=45),
    late_minutes=st.integers(min_value=0, max_value=600),
    window=st.tuples(st.integers(0, 12), st.integers(1, 11)).map(lambda t: (time(t[0]), time(t[0] + t[1]))),
    weekdays=st.sets(st.integers(0, 6), min_size=1).map(lambda s: tuple(sorted(s))),
)
def test_no_step_ever_goes_outside_its_window_before_its_time_or_closer_than_the_scenario_says(
        zone, due, offsets, late_days, late_minutes, window, weekdays):
    steps = [PlannedStep(i, "email", f"e{i}", offset_days=o, window_start=window[0], window_end=window[1],
                         weekdays=weekdays) for i, o in enumerate(offsets)]
    p = RunPlan("o", "F-1", "C1", 1, "s", zone, due, datetime(2024, 1, 1, tzinfo=UTC), steps, holiday_country="FR")
    tz = ZoneInfo(zone)
    # The run starts late (held, or entered by the sweep): the first step goes `late` after its time.
    start = scheduled_at(p, 0, None) + timedelta(days=late_days, minutes=late_minutes)
    previous = None
    for position, at in upcoming(p, 0, start, None):
        local = at.astimezone(tz)
        assert local.weekday() in weekdays and window[0] <= local.time() < window[1]
        assert at >= scheduled_at(p, position, previous) >= ideal_at(p, position, previous)
        if previous is not None:
            gap_planned = (ideal_at(p, position, previous).astimezone(tz).replace(tzinfo=None)
                           - previous.ideal_at.astimezone(tz).replace(tzinfo=None))
            gap_done = local.replace(tzinfo=None) - previous.done_at.astimezone(tz).replace(tzinfo=None)
            assert gap_done >= gap_planned
        assert send_time(p, position, at, at) == at
        previous = Progress(position, at, ideal_at(p, position, previous))
