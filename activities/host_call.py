"""The I/O of a call_host automation's run (relance.pipeline.host_call): one signed POST per attempt, then
the answer written on the opportunity's timeline."""

from __future__ import annotations

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from relance.db import Database
from relance.outbound import Allowlist
from relance.pipeline import host_call
from relance.pipeline.types import HostCallAnswer, HostCallEnd, HostCallInput
from relance.sealing import Sealer

log = structlog.get_logger("relance.pipeline")


class HostCallActivities:
    def __init__(self, db: Database, allow: Allowlist, sealer: Sealer):
        self.db = db
        self.allow = allow  # the internal hosts the operator admits (RELANCE_OUTBOUND_ALLOW)
        self.sealer = sealer  # opens the endpoints' secrets

    @activity.defn
    async def call_host(self, inp: HostCallInput) -> HostCallAnswer:
        """One attempt; raises when the host does not answer 2xx, and the retry policy tries again later."""
        number = activity.info().attempt
        try:
            answer = await host_call.attempt(self.db, self.sealer, self.allow, inp, number)
        except host_call.EndpointGone as exc:
            raise ApplicationError(str(exc), type="EndpointGone", non_retryable=True) from exc
        except host_call.CallFailed as exc:
            log.info("host call attempt failed", org=inp.org_slug, opportunity=inp.opportunity_ref,
                     automation=inp.idem_key, endpoint_id=inp.endpoint_id, reason=str(exc), attempt=number)
            raise ApplicationError(str(exc), type="HostCallFailed", category=ApplicationErrorCategory.BENIGN) from exc
        log.info("host called", org=inp.org_slug, opportunity=inp.opportunity_ref, automation=inp.idem_key,
                 endpoint_id=inp.endpoint_id, status=answer.status, latency_ms=answer.latency_ms, attempt=number)
        return answer

    @activity.defn
    async def record_host_answer(self, end: HostCallEnd) -> None:
        async with self.db.session() as session:
            detail = await host_call.record(session, end)
        log.info("host call ended", org=end.inp.org_slug, opportunity=end.inp.opportunity_ref,
                 automation=end.inp.idem_key, detail=detail)
