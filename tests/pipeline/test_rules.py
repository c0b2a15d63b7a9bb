"""The pure rules: due dates in business days (weekends and public holidays), the loop guard."""

from datetime import date

from relance import calendar
from relance.pipeline import rules

FRANCE = calendar.Opening(country="FR")


def test_business_days_skip_weekends_and_public_holidays():
    thursday = date(2026, 12, 24)  # Friday the 25th is Christmas
    assert rules.due_on(thursday, 0, True, FRANCE) == thursday
    assert rules.due_on(thursday, 1, True, FRANCE) == date(2026, 12, 28)  # Monday
    assert rules.due_on(thursday, 1, False, FRANCE) == date(2026, 12, 25)  # calendar days: Christmas itself
    assert rules.due_on(date(2026, 12, 26), 0, True, FRANCE) == date(2026, 12, 28)  # due today on a Saturday: Monday


def test_the_loop_guard_stops_a_rule_on_its_own_consequence_and_a_deep_chain():
    assert rules.loop_stop("a", []) is None
    assert rules.loop_stop("b", ["a"]) is None
    assert "event it caused" in rules.loop_stop("a", ["a"])
    assert "limit of 3" in rules.loop_stop("d", ["a", "b", "c"])
