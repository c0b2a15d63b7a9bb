"""Term arithmetic: month ends, 29 February, tacit renewal, and which notices are due when."""

from datetime import date, timedelta

import pytest

from relance.renewal.terms import Commitment, Notice, add_months, notices, term_months

D = date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2026, 1, 31), 3, D(2026, 4, 30)),
        (D(2026, 8, 31), 6, D(2027, 2, 28)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2028, 2, 29), 48, D(2032, 2, 29)),
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 4, 10), -3, D(2026, 1, 10)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(start, months, expected):
    assert add_months(start, months) == expected


def test_terms_are_anchored_on_the_start_date_not_chained():
    monthly = Commitment(D(2026, 1, 31), 1, True)
    assert [monthly.term_end(k) for k in (1, 2, 3, 4)] == [D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30),
                                                           D(2026, 5, 31)]
    quarterly = Commitment(D(2026, 11, 30), 3, True)
    assert [quarterly.term_end(k) for k in (1, 2, 3)] == [D(2027, 2, 28), D(2027, 5, 30), D(2027, 8, 30)]


def test_yearly_term_starting_on_29_february():
    yearly = Commitment.of(D(2028, 2, 29), "yearly", None, True)
    assert [yearly.term_end(k) for k in (1, 2, 3, 4)] == [D(2029, 2, 28), D(2030, 2, 28), D(2031, 2, 28),
                                                          D(2032, 2, 29)]
    assert yearly.current_term_end(D(2029, 2, 27)) == D(2029, 2, 28)
    assert yearly.current_term_end(D(2029, 2, 28)) == D(2030, 2, 28)  # renewed that day


@pytest.mark.parametrize(
    ("period", "years", "months"),
    [("monthly", None, 1), ("quarterly", None, 3), ("half_yearly", None, 6), ("yearly", None, 12),
     ("multi_year", 2, 24), ("multi_year", 3, 36)],
)
def test_term_length(period, years, months):
    assert term_months(period, years) == months


@pytest.mark.parametrize("years", [None, 0, 1])
def test_multi_year_needs_at_least_two_years(years):
    with pytest.raises(ValueError, match="years"):
        term_months("multi_year", years)


def test_current_term_rolls_forward_with_tacit_renewal_only():
    start = D(2024, 3, 15)
    tacit = Commitment.of(start, "multi_year", 2, True)
    once = Commitment.of(start, "multi_year", 2, False)
    assert tacit.current_term_end(D(2024, 1, 1)) == once.current_term_end(D(2024, 1, 1)) == D(2026, 3, 15)
    assert tacit.current_term_end(D(2026, 3, 14)) == once.current_term_end(D(2026, 3, 14)) == D(2026, 3, 15)
    assert tacit.current_term_end(D(2026, 3, 15)) == D(2028, 3, 15)
    assert once.current_term_end(D(2026, 3, 15)) is None
    assert tacit.current_term_end(D(2031, 7, 1)) == D(2032, 3, 15)


def test_current_term_end_matches_a_day_by_day_walk():
    for start in (D(2027, 1, 31), D(2028, 2, 29), D(2027, 8, 31), D(2027, 5, 1)):
        for months in (3, 6, 12, 24):
            c = Commitment(start, months, True)
            ends = [c.term_end(k) for k in range(1, 30)]
            for offset in range(-40, 1500, 7):
                day = start + timedelta(days=offset)
                assert c.current_term_end(day) == next(e for e in ends if e > day), (start, months, day)


def test_notice_is_due_from_its_date_until_the_term_ends():
    c = Commitment.of(D(2026, 1, 15), "quarterly", None, True)  # terms end 15/04, 15/07, 15/10
    assert notices(c, 10, D(2026, 4, 4), D(2026, 4, 4)) == []
    assert notices(c, 10, D(2026, 4, 5), D(2026, 4, 5)) == [Notice(D(2026, 4, 15), D(2026, 4, 5))]
    # missed days are caught up while the term runs ...
    assert notices(c, 10, D(2026, 4, 14), D(2026, 4, 14)) == [Notice(D(2026, 4, 15), D(2026, 4, 5))]
    # ... and never once it has ended: the next term's notice is not due yet
    assert notices(c, 10, D(2026, 4, 15), D(2026, 4, 15)) == []


def test_forecast_lists_every_notice_in_the_horizon():
    c = Commitment.of(D(2026, 1, 15), "quarterly", None, True)
    assert notices(c, 10, D(2026, 3, 1), D(2026, 10, 5)) == [
        Notice(D(2026, 4, 15), D(2026, 4, 5)), Notice(D(2026, 7, 15), D(2026, 7, 5)),
        Notice(D(2026, 10, 15), D(2026, 10, 5))]
    without_renewal = Commitment.of(D(2026, 1, 15), "quarterly", None, False)
    assert notices(without_renewal, 10, D(2026, 3, 1), D(2026, 10, 5)) == [Notice(D(2026, 4, 15), D(2026, 4, 5))]


def test_notice_never_before_the_contract_starts():
    c = Commitment.of(D(2026, 6, 1), "quarterly", None, True)
    assert notices(c, 120, D(2026, 1, 1), D(2026, 6, 1)) == [Notice(D(2026, 9, 1), D(2026, 6, 1))]
