"""What every nightly job (one Schedule per organisation and job) shares: its activity's options.
The job is one long activity that pages through rows and heartbeats, so a retry resumes after the last
row done."""

from datetime import timedelta

from temporalio.common import RetryPolicy

NIGHTLY_JOB_OPTIONS = dict(
    start_to_close_timeout=timedelta(hours=2),
    heartbeat_timeout=timedelta(seconds=60),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=2)),
)
