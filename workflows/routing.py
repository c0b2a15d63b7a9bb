"""Which task queue an activity goes to, decided inside the workflow (deterministically)."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from relance.ids import email_queue

EMAIL_QUEUE_PATCH = "email-task-queue"


def email_queue_of_this_run() -> str | None:
    """The SES activities' rate-limited queue; None (the run's own queue) when replaying a history
    recorded before that queue existed."""
    return email_queue(workflow.info().task_queue) if workflow.patched(EMAIL_QUEUE_PATCH) else None
