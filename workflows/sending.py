"""The options of an activity that sends an email, for every domain's workflow.

A send (database, compose, one SES call: ~0.1 s locally, well under a second with SES) heartbeats only
while SES throttles it: a dead worker is noticed after SEND_HEARTBEAT, not after a minute, and a long
throttling episode is a wait, not a timeout. The retry interval is capped low, so a send that failed
during an outage goes soon after it ends. Runs started before this change keep the options they had.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.versions import follows

SEND_HEARTBEAT = timedelta(seconds=10)
SEND_TIMEOUT = timedelta(minutes=10)
SEND_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
BEFORE = dict(start_to_close_timeout=timedelta(seconds=60),
              retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5)))


def send_options(revision: int, change: str = "settle-uncertain") -> dict:
    """The options of a send that settles uncertainty, for runs that follow `change` (the domain's)."""
    if follows(change, revision):
        return dict(start_to_close_timeout=SEND_TIMEOUT, heartbeat_timeout=SEND_HEARTBEAT, retry_policy=SEND_RETRY)
    return BEFORE
