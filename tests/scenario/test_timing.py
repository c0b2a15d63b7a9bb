"""Step timing: send windows in the organisation's zone, across DST, and spacing kept after a delay."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from relance.dunning.types import RunPlan
from relance.scenario.plan import PlannedStep
from relance.scenario.timing import Progress, fit_window, scheduled_at

PARIS = ZoneInfo("Europe/Paris")


def plan(*steps: PlannedStep) -> RunPlan:
    return RunPlan("o", "F-1", "C1", 1, "s", "Europe/Paris", date(2026, 3, 20),
                   datetime(2026, 3, 1, 12, tzinfo=UTC), list(steps))


def test_before_opening_moves_to_opening_same_day_after_closing_to_next_day():
    two_am = datetime(2026, 11, 24, 2, 0, tzinfo=PARIS)
    assert fit_window(two_am, time(9), time(18), "Europe/Paris") == datetime(2026, 11, 24, 9, tzinfo=PARIS)
    evening = datetime(2026, 11, 24, 19, 30, tzinfo=PARIS)
    assert fit_window(evening, time(9), time(18), "Europe/Paris") == datetime(2026, 11, 25, 9, tzinfo=PARIS)
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=PARIS)
    assert fit_window(noon, time(9), time(18), "Europe/Paris") == noon


def test_window_opening_is_local_time_across_the_spring_dst_change():
    p = plan(PlannedStep(0, "email", "a", offset_days=10))  # due 20 March + 10 = 30 March, after DST (29 March)
    at = scheduled_at(p, 0, None)
    assert at.astimezone(PARIS).time() == time(9) and at.astimezone(UTC).hour == 7


def test_pause_steps_count_from_the_previous_step():
    p = plan(PlannedStep(0, "email", "a", offset_days=0), PlannedStep(1, "pause", "p", pause_days=20),
             PlannedStep(2, "email", "b"))
    done = datetime(2026, 3, 20, 9, tzinfo=PARIS)
    assert scheduled_at(p, 2, Progress(0, done, timedelta(0))) == done + timedelta(days=20)


def test_a_late_step_pushes_the_next_offset_step_by_as_much():
    p = plan(PlannedStep(0, "email", "a", offset_days=0), PlannedStep(1, "email", "b", offset_days=10))
    late = Progress(0, datetime(2026, 3, 25, 9, tzinfo=PARIS), timedelta(days=5))
    assert scheduled_at(p, 1, late).astimezone(PARIS) == datetime(2026, 4, 4, 9, tzinfo=PARIS)
