"""The nightly jobs of an organisation: start a dunning run for every overdue invoice that has none,
and the renewal notice of every contract term whose notice date has come.

Both page through their rows by id and heartbeat the last id done, so a retry resumes after it;
starting is idempotent (deterministic workflow ids), so a page done twice starts nothing twice.
The dunning sweep keeps START_CONCURRENCY starts in flight: one at a time, a start is a round trip
to the server and the sweep would start runs slower than the cluster completes them (bench/)."""

from __future__ import annotations

import asyncio

import structlog
from temporalio import activity

from relance import repository, timing
from relance.db import Database
from relance.dunning import SweepInput, SweepResult
from relance.renewal_terms import contract_notices
from starter.api import start_dunning_run, start_renewal_notice

log = structlog.get_logger("relance.sweep")

PAGE_SIZE = 500
START_CONCURRENCY = 32


class SweepActivities:
    def __init__(self, db: Database):
        self.db = db

    @activity.defn
    async def start_overdue_runs(self, inp: SweepInput) -> SweepResult:
        """Pages through the organisation's overdue invoices by id and starts a run for each."""
        after_id, result = _resume()
        async with self.db.session() as session:
            org = await repository.organisation(session, inp.org_slug)
        if not org.dunning_enabled:
            log.info("sweep skipped: dunning switched off", org=org.slug)
            return result
        today = timing.local_today(inp.now, org.timezone)
        client = activity.client()
        while True:
            async with self.db.session() as session:
                page = await repository.overdue_without_run(session, org.id, today, after_id, PAGE_SIZE)
                refs = await repository.account_refs(session, {row.account_id for row in page})
            if not page:
                break
            for first in range(0, len(page), START_CONCURRENCY):
                chunk = page[first:first + START_CONCURRENCY]
                outcomes = await asyncio.gather(
                    *(start_dunning_run(client, inp.task_queue, org.slug, row.number, refs[row.account_id])
                      for row in chunk), return_exceptions=True)
                for row, outcome in zip(chunk, outcomes):
                    if isinstance(outcome, BaseException):
                        # Resume right after the last start that went through in order.
                        activity.heartbeat(after_id, result.__dict__)
                        raise outcome
                    result.count(outcome)
                    after_id = row.id
                activity.heartbeat(after_id, result.__dict__)
        log.info("sweep done", org=org.slug, examined=result.examined, started=result.started)
        return result

    @activity.defn
    async def start_due_renewal_notices(self, inp: SweepInput) -> SweepResult:
        """Seed 000's daily inspection: for every contract not settled and not monthly, the notice of
        each term whose notice date is today or earlier and which has not ended yet. So a day missed
        (worker or server down) is caught up while the term runs, and an ended term never gets one.
        "Today" is the workflow's time in the organisation's zone, never this worker's clock."""
        after_id, result = _resume()
        async with self.db.session() as session:
            org = await repository.organisation(session, inp.org_slug)
            settings = await repository.renewal_settings(session, org)
        if not settings.enabled:
            log.info("renewal inspection skipped: renewals switched off", org=org.slug)
            return result
        today = timing.local_today(inp.now, org.timezone)
        client = activity.client()
        while True:
            async with self.db.session() as session:
                page = await repository.renewal_contracts(session, org.id, after_id, PAGE_SIZE)
                refs = await repository.account_refs(session, {c.account_id for c in page})
            if not page:
                break
            for contract in page:
                for notice in contract_notices(contract, settings.alert_days, today, today):
                    result.count(await start_renewal_notice(client, inp.task_queue, org.slug, contract.ref,
                                                            refs[contract.account_id], notice.term_end))
                after_id = contract.id
                activity.heartbeat(after_id, result.__dict__)
        log.info("renewal inspection done", org=org.slug, due=result.examined, started=result.started)
        return result


def _resume() -> tuple[int, SweepResult]:
    """Where a retried attempt starts: after the last id its predecessor heartbeated."""
    details = activity.info().heartbeat_details
    return (details[0], SweepResult(**details[1])) if details else (0, SweepResult())
