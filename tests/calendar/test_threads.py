"""Workflows run on several threads and share one holidays object per country."""

import sys
import threading
from datetime import date

from relance import calendar
from relance.calendar import ALL_DAYS, Opening, is_open_day


def test_threads_looking_up_a_new_year_at_once_all_see_its_holidays():
    # A holidays object marks a year as loaded before it has filled it in: without the calendar's lock,
    # about a quarter of these lookups see Christmas as an ordinary day.
    opening = Opening(weekdays=ALL_DAYS, country="FR")
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for year in range(2040, 2070):
            calendar._holidays.cache_clear()
            barrier, answers = threading.Barrier(8), []

            def look_up(year=year, barrier=barrier, answers=answers):
                barrier.wait()
                answers.append(is_open_day(date(year, 12, 25), opening))

            threads = [threading.Thread(target=look_up) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert answers == [False] * 8, year
    finally:
        sys.setswitchinterval(switch_interval)
