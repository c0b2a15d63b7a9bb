"""Send windows: hours, days of the week and public holidays; a step outside goes at the next opening."""

from datetime import UTC, date, datetime, time, timedelta

import holidays
import pytest

from relance import calendar
from relance.calendar import (
    ALL_DAYS,
    Opening,
    at_local,
    closed_reason,
    default_country,
    in_zone,
    is_open_day,
    next_opening,
    validate_opening,
)

PARIS, NEW_YORK = "Europe/Paris", "America/New_York"
OFFICE_IN_FRANCE = Opening(country="FR")  # Monday to Friday, 09:00-18:00
EVERY_DAY_IN_FRANCE = Opening(weekdays=ALL_DAYS, country="FR")


def local(moment: datetime, tz: str = PARIS) -> datetime:
    return in_zone(moment, tz).replace(tzinfo=None)


def test_a_step_inside_the_window_goes_at_once():
    moment = at_local(date(2026, 6, 10), time(10, 15), PARIS)
    assert next_opening(moment, OFFICE_IN_FRANCE, PARIS) is moment


def test_a_step_before_the_window_waits_for_it_to_open():
    early = at_local(date(2026, 6, 10), time(2), PARIS)
    assert local(next_opening(early, OFFICE_IN_FRANCE, PARIS)) == datetime(2026, 6, 10, 9)


def test_a_step_after_the_window_on_a_friday_goes_on_monday_morning():
    friday_evening = at_local(date(2026, 6, 12), time(18, 30), PARIS)
    assert local(next_opening(friday_evening, OFFICE_IN_FRANCE, PARIS)) == datetime(2026, 6, 15, 9)


def test_the_window_closes_at_its_end():
    closing_time = at_local(date(2026, 6, 12), time(18), PARIS)
    assert local(next_opening(closing_time, OFFICE_IN_FRANCE, PARIS)) == datetime(2026, 6, 15, 9)


def test_a_step_falling_on_a_public_holiday_goes_at_the_next_opening():
    labour_day = at_local(date(2026, 5, 1), time(10), PARIS)  # a Friday
    assert local(next_opening(labour_day, OFFICE_IN_FRANCE, PARIS)) == datetime(2026, 5, 4, 9)


def test_a_moment_given_in_utc_is_placed_in_the_organisation_zone():
    friday_evening_in_new_york = datetime(2026, 6, 12, 23, 0, tzinfo=UTC)  # 19:00 EDT
    opened = next_opening(friday_evening_in_new_york, Opening(), NEW_YORK)
    assert opened.tzinfo is calendar.zone(NEW_YORK)
    assert local(opened, NEW_YORK) == datetime(2026, 6, 15, 9)


def test_a_window_opening_at_a_time_the_spring_change_skips_opens_when_the_clocks_have_moved():
    opening = Opening(start=time(2, 30), end=time(4), weekdays=ALL_DAYS)
    for tz, change in ((PARIS, date(2026, 3, 29)), (NEW_YORK, date(2026, 3, 8))):
        midnight = at_local(change, time(0), tz)
        opened = next_opening(midnight, opening, tz)
        assert local(opened, tz) == datetime.combine(change, time(3))
        assert local(next_opening(opened + timedelta(hours=1), opening, tz), tz) == datetime.combine(
            change + timedelta(days=1), time(2, 30))


def test_a_window_that_the_spring_change_skips_entirely_is_closed_that_day():
    opening = Opening(start=time(2), end=time(2, 45), weekdays=ALL_DAYS)
    midnight = at_local(date(2026, 3, 29), time(0), PARIS)
    assert local(next_opening(midnight, opening, PARIS)) == datetime(2026, 3, 30, 2)


def test_a_window_reopens_when_the_autumn_change_repeats_its_hours():
    night_shift = Opening(start=time(1), end=time(2, 30), weekdays=ALL_DAYS)
    after_the_first_pass = datetime(2026, 10, 25, 0, 45, tzinfo=UTC)  # 02:45 CEST
    opened = next_opening(after_the_first_pass, night_shift, PARIS)
    assert opened.astimezone(UTC) == datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 02:00 CET, clocks went back
    assert local(opened) == datetime(2026, 10, 25, 2) and opened.fold == 1


def test_an_organisation_open_every_day_until_the_last_second_sends_at_once_until_then():
    always = Opening(start=time(0), end=time(23, 59, 59), weekdays=ALL_DAYS)
    moment = at_local(date(2026, 12, 25), time(23, 59, 58), PARIS)
    assert next_opening(moment, always, PARIS) is moment
    last_second = at_local(date(2026, 12, 31), time(23, 59, 59, 500000), PARIS)
    assert local(next_opening(last_second, always, PARIS)) == datetime(2027, 1, 1)


def test_an_armistice_day_is_closed_in_france():
    armistice = date(2026, 11, 11)  # a Wednesday
    assert not is_open_day(armistice, OFFICE_IN_FRANCE)
    assert closed_reason(armistice, OFFICE_IN_FRANCE) == "public holiday: Armistice Day"
    assert is_open_day(armistice, Opening())  # no country, no holidays


def test_saint_stephens_day_is_closed_in_moselle_but_not_in_the_rest_of_france():
    saint_stephen = date(2026, 12, 26)
    assert is_open_day(saint_stephen, EVERY_DAY_IN_FRANCE)
    moselle = Opening(weekdays=ALL_DAYS, country="FR", subdivision="57")
    assert not is_open_day(saint_stephen, moselle)
    assert closed_reason(saint_stephen, moselle).startswith("public holiday: ")


def test_thanksgiving_is_closed_in_the_united_states():
    thanksgiving = date(2026, 11, 26)
    assert not is_open_day(thanksgiving, Opening(country="US"))
    assert closed_reason(thanksgiving, Opening(country="US", subdivision="NY")) == "public holiday: Thanksgiving Day"


def test_a_day_outside_the_weekdays_is_closed_and_says_which_day_it_is():
    assert closed_reason(date(2026, 11, 15), OFFICE_IN_FRANCE) == "Sunday"
    assert closed_reason(date(2026, 11, 16), OFFICE_IN_FRANCE) is None
    assert is_open_day(date(2026, 11, 15), EVERY_DAY_IN_FRANCE)


def test_holiday_names_do_not_depend_on_the_machine_language(monkeypatch):
    monkeypatch.setenv("LANGUAGE", "de")
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    swiss = Opening(weekdays=ALL_DAYS, country="CH")
    expected = holidays.country_holidays("CH", language="en_US").get(date(2026, 8, 1))
    assert closed_reason(date(2026, 8, 1), swiss) == f"public holiday: {expected}"


def test_a_window_with_no_weekdays_is_refused_rather_than_searched_forever():
    with pytest.raises(ValueError, match="weekdays"):
        next_opening(datetime(2026, 6, 10, tzinfo=UTC), Opening(weekdays=()), PARIS)


def test_a_window_that_closes_before_it_opens_is_refused():
    with pytest.raises(ValueError, match="start: 18:00:00 is not before end: 09:00:00"):
        next_opening(datetime(2026, 6, 10, tzinfo=UTC), Opening(start=time(18), end=time(9)), PARIS)
    with pytest.raises(ValueError, match="start"):
        next_opening(datetime(2026, 6, 10, tzinfo=UTC), Opening(start=time(9), end=time(9)), PARIS)


def test_the_search_for_an_opening_gives_up_after_its_horizon(monkeypatch):
    monkeypatch.setattr(calendar, "SEARCH_DAYS", 2)
    saturday = at_local(date(2026, 6, 13), time(10), PARIS)
    with pytest.raises(ValueError, match="no open day within 2 days"):
        next_opening(saturday, OFFICE_IN_FRANCE, PARIS)


def test_a_valid_opening_has_no_problems():
    assert validate_opening(Opening()) == []
    assert validate_opening(Opening(country="FR", subdivision="57")) == []
    assert validate_opening(Opening(country="US", subdivision="NY", weekdays=(5, 6))) == []


def test_every_problem_of_an_opening_is_reported_with_its_field():
    problems = validate_opening(Opening(start=time(18), end=time(9), weekdays=(1, 1, 7), country="XX"))
    assert [problem.split(":")[0] for problem in problems] == ["weekdays", "weekdays", "start", "country"]
    assert "end: 09:00:00" in problems[2]


def test_an_empty_set_of_weekdays_is_a_problem():
    assert validate_opening(Opening(weekdays=()))[0].startswith("weekdays: empty")


def test_a_lowercase_country_is_refused_with_a_hint():
    assert validate_opening(Opening(country="fr")) == [
        "country: 'fr' is not an ISO 3166 alpha-2 code with known public holidays (did you mean 'FR'?)"]


def test_a_subdivision_of_another_country_is_refused_with_the_known_ones():
    [problem] = validate_opening(Opening(country="FR", subdivision="NY"))
    assert problem.startswith("subdivision: 'NY' is not a subdivision of FR (known: 57, 6AE, ")


def test_a_subdivision_without_a_country_is_refused():
    assert validate_opening(Opening(subdivision="57")) == ["subdivision: '57' needs a country"]


def test_an_opening_whose_weekdays_are_a_list_still_works():
    assert validate_opening(Opening(weekdays=[0, 0])) == ["weekdays: mon (0) is listed twice"]
    saturday = at_local(date(2026, 6, 13), time(10), PARIS)
    assert local(next_opening(saturday, Opening(weekdays=[0, 1]), PARIS)) == datetime(2026, 6, 15, 9)
    assert validate_opening(Opening(weekdays="mon-fri"))[0].startswith("weekdays: 'mon-fri' is not a list")


@pytest.mark.parametrize(("locale", "country"), [
    ("fr_FR", "FR"), ("en_US", "US"), ("de_DE", "DE"), ("en_GB", "GB"), ("fr-CA", "CA"),
    ("pt_BR.UTF-8", "BR"), ("zh_Hans_CN", "CN"), ("de", None), ("es_419", None), ("", None),
])
def test_the_default_holiday_country_comes_from_the_locale(locale, country):
    assert default_country(locale) == country
