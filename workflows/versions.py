"""Which code path a run follows when workflow code changes, and the task queue that depends on it.

A run started by today's code carries REVISION in its input and takes every change in CHANGES
directly. A run started before (revision 0, or lower than a change's) asks workflow.patched() as
usual, so its history replays the way it was recorded. The input spares new runs the patch calls:
each costs a run a marker event and an upsert of TemporalChangeVersion, a visibility write on the
server (bench/).

To change workflow code: add the change's patch id with REVISION + 1 and branch on `follows()`.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from relance.temporal.queues import email_queue
    from relance.temporal.revision import CHANGES


def follows(change: str, revision: int) -> bool:
    return revision >= CHANGES[change] or workflow.patched(change)


def email_queue_of_this_run(revision: int) -> str | None:
    """The SES activities' rate-limited queue; None (the run's own queue) when replaying a history
    recorded before that queue existed."""
    return email_queue(workflow.info().task_queue) if follows("email-task-queue", revision) else None


def missing_search_attributes(updates: list, revision: int) -> list:
    """The identity search attributes the run was not started with (all of them for older runs)."""
    if not follows("identity-at-start", revision):
        return updates
    present = workflow.info().typed_search_attributes
    return [update for update in updates if present.get(update.key) != update.value]


def step_numbering(revision: int) -> int:
    """The number of a scenario's first step in what the run shows (relance.scenario.plan.step_number):
    1 as authored; runs started before keep the 0 their recorded search attributes say."""
    return 1 if follows("authored-step-numbers", revision) else 0
