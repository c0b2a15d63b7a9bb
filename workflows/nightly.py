"""What every nightly job (one Schedule per organisation and job) shares: its activity's options.
The job is one long activity that pages through rows and heartbeats, so a retry resumes after the last
row done."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from relance.nightly import PageRequest, StartRequest, SweepInput, SweepRequest, SweepResult

NIGHTLY_JOB_OPTIONS = dict(
    start_to_close_timeout=timedelta(hours=2),
    heartbeat_timeout=timedelta(seconds=60),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=2)),
)


async def run_nightly_job(activity_method, request: SweepRequest, summary: str) -> SweepResult:
    """The job's one activity, given the workflow's time: "overdue" and "today" are judged at it,
    never at the worker's clock."""
    return await workflow.execute_activity_method(
        activity_method, SweepInput(request.org_slug, workflow.now(), workflow.info().task_queue),
        summary=summary, **NIGHTLY_JOB_OPTIONS)


PAGE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=1))
# Reading a page is one query. Starting its runs heartbeats after each group of starts: a worker killed
# mid-page is noticed in seconds, not at the end of a 10-minute timeout with every run of the page
# waiting (make chaos, a kill during the first page).
READ_PAGE_OPTIONS = dict(start_to_close_timeout=timedelta(minutes=1), retry_policy=PAGE_RETRY)
START_PAGE_OPTIONS = dict(start_to_close_timeout=timedelta(minutes=10), heartbeat_timeout=timedelta(seconds=30),
                          retry_policy=PAGE_RETRY)


class PagedJob:
    """A nightly job in pages: one activity reads a page of rows, another starts their workflows. The
    page read is in the history, so a retried start goes over the same rows and the count it returns
    is true (a single long activity resumed from throttled heartbeats lost what it had started). Long
    jobs continue as new, carrying where they were and what they did."""

    def __init__(self) -> None:
        self.result = SweepResult()

    async def run(self, read_page, start_page, request: SweepRequest, summary: str) -> SweepResult:
        self.result = request.so_far or SweepResult()
        after_id = request.after_id
        while True:
            page = await workflow.execute_activity_method(
                read_page, PageRequest(request.org_slug, workflow.now(), after_id),
                summary=f"Read a page: {summary}", **READ_PAGE_OPTIONS)
            if not page:
                return self.result
            self.result.add(await workflow.execute_activity_method(
                start_page, StartRequest(request.org_slug, workflow.info().task_queue, page),
                summary=f"Start {len(page)}: {summary}", **START_PAGE_OPTIONS))
            after_id = page[-1].id
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(SweepRequest(request.org_slug, after_id, self.result))
