"""What every nightly job's activity shares: pages of rows by id, and resuming after the last row a
failed attempt heartbeated. Starting is idempotent (deterministic workflow ids), so a page done twice
starts nothing twice."""

from temporalio import activity

from relance.nightly import SweepResult

PAGE_SIZE = 500


def resume() -> tuple[int, SweepResult]:
    """Where a retried attempt starts: after the last id its predecessor heartbeated."""
    details = activity.info().heartbeat_details
    return (details[0], SweepResult(**details[1])) if details else (0, SweepResult())
