"""Days are calendar days in the organisation's zone: a step keeps its local time across DST changes."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from relance.calendar import add_days, at_local, in_zone, local_today, zone

PARIS, NEW_YORK = "Europe/Paris", "America/New_York"
SPRING = [(PARIS, date(2026, 3, 29)), (NEW_YORK, date(2026, 3, 8))]
AUTUMN = [(PARIS, date(2026, 10, 25)), (NEW_YORK, date(2026, 11, 1))]
CHANGES = SPRING + AUTUMN


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


@pytest.mark.parametrize(("tz", "change"), CHANGES)
def test_one_day_later_across_a_dst_change_is_the_same_local_time(tz, change):
    before = at_local(change - timedelta(days=1), time(9), tz)
    after = add_days(before, 1, tz)
    assert in_zone(after, tz).replace(tzinfo=None) == datetime(change.year, change.month, change.day, 9)
    assert hours(after.astimezone(UTC) - before.astimezone(UTC)) in (23, 25)


@pytest.mark.parametrize(("tz", "change"), CHANGES)
def test_a_week_later_across_a_dst_change_is_the_same_local_time(tz, change):
    before = at_local(change - timedelta(days=3), time(9), tz)
    after = add_days(before, 7, tz)
    assert in_zone(after, tz).replace(tzinfo=None) == datetime.combine(change + timedelta(days=4), time(9))
    assert hours(after.astimezone(UTC) - before.astimezone(UTC)) in (7 * 24 - 1, 7 * 24 + 1)


@pytest.mark.parametrize(("tz", "change"), CHANGES)
def test_counting_days_back_across_a_dst_change_keeps_the_local_time(tz, change):
    after = at_local(change + timedelta(days=2), time(9), tz)
    expected = datetime.combine(change - timedelta(days=5), time(9))
    assert in_zone(add_days(after, -7, tz), tz).replace(tzinfo=None) == expected


@pytest.mark.parametrize(("tz", "change"), SPRING)
def test_a_time_skipped_by_the_spring_change_moves_to_the_end_of_the_gap(tz, change):
    moment = at_local(change, time(2, 30), tz)
    assert moment.replace(tzinfo=None) == datetime.combine(change, time(3))
    assert moment.tzinfo is zone(tz)
    assert moment.utcoffset() == (timedelta(hours=2) if tz == PARIS else timedelta(hours=-4))


@pytest.mark.parametrize(("tz", "change"), SPRING)
def test_a_step_due_at_a_skipped_time_goes_at_the_end_of_the_gap(tz, change):
    the_day_before = at_local(change - timedelta(days=1), time(2, 30), tz)
    assert in_zone(add_days(the_day_before, 1, tz), tz).time() == time(3)
    # and the day after, 02:30 exists again
    assert in_zone(add_days(the_day_before, 2, tz), tz).time() == time(2, 30)


def test_a_time_repeated_by_the_autumn_change_is_its_first_occurrence():
    paris = at_local(date(2026, 10, 25), time(2, 30), PARIS)
    assert paris.utcoffset() == timedelta(hours=2) and paris.fold == 0
    new_york = at_local(date(2026, 11, 1), time(1, 30), NEW_YORK)
    assert new_york.utcoffset() == timedelta(hours=-4) and new_york.fold == 0


def test_adding_days_to_the_second_occurrence_of_a_repeated_time_keeps_it():
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, after the clocks went back
    assert in_zone(second, PARIS).fold == 1
    assert add_days(second, 0, PARIS).astimezone(UTC) == second
    assert add_days(second, 1, PARIS).astimezone(UTC) == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)


def test_today_is_the_date_in_the_organisation_zone():
    late_evening_in_new_york = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    assert local_today(late_evening_in_new_york, NEW_YORK) == date(2026, 3, 2)
    assert local_today(late_evening_in_new_york, PARIS) == date(2026, 3, 3)


def test_a_naive_moment_is_refused_rather_than_read_in_the_machine_zone():
    with pytest.raises(ValueError, match="moment"):
        in_zone(datetime(2026, 3, 3, 9), PARIS)
    with pytest.raises(ValueError, match="moment"):
        add_days(datetime(2026, 3, 3, 9), 1, PARIS)


def test_an_unknown_time_zone_is_refused_by_name():
    with pytest.raises(ValueError, match="tz: unknown time zone 'Europe/Pariss'"):
        zone("Europe/Pariss")
