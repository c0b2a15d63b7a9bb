"""The calendar runs inside Temporal's workflow sandbox, holidays included, and answers as it does outside."""

import os
import sysconfig
import uuid
from datetime import datetime

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from relance import calendar
from tests.calendar.sandbox_workflow import CalendarProbe, probe

TEST_SERVER = os.path.join(sysconfig.get_path("scripts"), "temporal-test-server")
# Countries no other calendar test uses, so that their holidays are first loaded inside the sandbox.
COUNTRIES = ["IT", "ES", "JP"]


async def test_a_workflow_gets_the_same_openings_and_holidays_inside_the_sandbox_as_outside():
    calendar._holidays.cache_clear()  # the holiday objects are built in the sandbox, not by an earlier test
    calendar.zone.cache_clear()
    moment, tz = "2026-05-30T21:45:00+00:00", "Europe/Rome"  # a zone the other tests do not use
    # Any error (a restricted call in the sandbox) fails the run at once instead of retrying its task.
    async with (
        await WorkflowEnvironment.start_time_skipping(test_server_existing_path=TEST_SERVER) as env,
        Worker(env.client, task_queue="calendar-probe", workflows=[CalendarProbe],
               workflow_failure_exception_types=[Exception]),
    ):
        inside = await env.client.execute_workflow(
            CalendarProbe.run, args=[COUNTRIES, moment, tz], id=f"calendar-probe-{uuid.uuid4()}",
            task_queue="calendar-probe")
    assert inside == probe(COUNTRIES, datetime.fromisoformat(moment), tz)
    assert inside[3].startswith("public holiday: ")  # Italy, 2 June (named in English where holidays can)
