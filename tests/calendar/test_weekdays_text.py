"""Weekdays as people write them in a scenario file: "mon-fri", "mon,wed,fri"."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.calendar import ALL_DAYS, WORKING_DAYS, format_weekdays, parse_weekdays


@pytest.mark.parametrize(("text", "days"), [
    ("mon-fri", WORKING_DAYS),
    ("mon,wed,fri", (0, 2, 4)),
    ("mon-sun", ALL_DAYS),
    ("sat,sun", (5, 6)),
    (" Mon - Fri ", WORKING_DAYS),
    ("TUE", (1,)),
    ("monday,friday", (0, 4)),
    ("fri-mon", (0, 4, 5, 6)),
    ("sun,mon-wed,mon", (0, 1, 2, 6)),
])
def test_weekdays_are_read_from_names_and_ranges(text, days):
    assert parse_weekdays(text) == days


@pytest.mark.parametrize(("text", "token"), [
    ("mon-fir", "'mon-fir'"), ("lundi", "'lundi'"), ("mon,,fri", "''"), ("", "''"), ("mon-wed-fri", "'mon-wed-fri'"),
])
def test_an_unknown_weekday_is_refused_by_name(text, token):
    with pytest.raises(ValueError, match=f"^weekdays: {token} "):
        parse_weekdays(text)


@pytest.mark.parametrize(("days", "text"), [
    (WORKING_DAYS, "mon-fri"), ((0, 2, 4), "mon,wed,fri"), (ALL_DAYS, "mon-sun"), ((5, 6), "sat,sun"),
    ((0, 4, 5, 6), "mon,fri-sun"), ((4, 0, 0), "mon,fri"),
])
def test_weekdays_are_written_compactly(days, text):
    assert format_weekdays(days) == text


def test_a_number_that_is_not_a_weekday_cannot_be_written():
    with pytest.raises(ValueError, match="weekdays: 7 is not a weekday"):
        format_weekdays((0, 7))


@settings(database=None)
@given(st.sets(st.integers(0, 6), min_size=1))
def test_written_weekdays_read_back_as_the_same_days(days):
    assert parse_weekdays(format_weekdays(tuple(days))) == tuple(sorted(days))
