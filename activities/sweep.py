"""The nightly sweep: start a dunning run for every overdue invoice that has none."""

from __future__ import annotations

import structlog
from temporalio import activity

from relance import repository, timing
from relance.db import Database
from relance.dunning import SweepInput, SweepResult
from starter.api import start_dunning_run

log = structlog.get_logger("relance.sweep")

PAGE_SIZE = 500


class SweepActivities:
    def __init__(self, db: Database):
        self.db = db

    @activity.defn
    async def start_overdue_runs(self, inp: SweepInput) -> SweepResult:
        """Pages through the organisation's overdue invoices by id; the last id done is heartbeated so
        a retry resumes after it. Starting is idempotent, so a page done twice starts nothing twice."""
        details = activity.info().heartbeat_details
        after_id, result = (details[0], SweepResult(**details[1])) if details else (0, SweepResult())
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
            for row in page:
                handle = await start_dunning_run(client, inp.task_queue, org.slug, row.number, refs[row.account_id])
                result.examined += 1
                if handle is None:
                    result.already_known += 1
                else:
                    result.started += 1
                after_id = row.id
                activity.heartbeat(after_id, result.__dict__)
        log.info("sweep done", org=org.slug, examined=result.examined, started=result.started)
        return result
