import asyncio

import pytest
from temporalio.service import RPCError

from starter import pipeline
from tests import factories as f
from tests.pipeline.data import OPP, pipeline_org


class Pipeline:
    """The stack, an organisation with the sales process loaded, and the calls a test makes."""

    def __init__(self, stack):
        self.stack = stack

    async def load(self, **kwargs) -> None:
        await self.stack.mailer.verify(f.SENDER)
        await self.stack.load(pipeline_org(self.stack.slug, **kwargs))

    async def report(self, event_id: str, wait: bool = True, ref: str = OPP, events_per_run: int | None = None,
                     **fields):
        s = self.stack
        body = {"event_id": event_id, "opportunity": ref, "kind": fields.pop("kind", "opportunity"), **fields}
        return await pipeline.report_event(s.client, s.db, s.task_queue, s.slug, body, wait=wait,
                                           events_per_run=events_per_run)

    async def settled(self, ref: str = OPP):
        """Once the opportunity's queue is empty (the events its automations caused handled too)."""
        async def idle() -> bool:
            state = await pipeline.status(self.stack.client, self.stack.slug, ref)
            return state.queued == 0 and not state.busy
        await poll(idle)
        return await self.timeline(ref)

    async def timeline(self, ref: str = OPP):
        return await pipeline.timeline(self.stack.db, self.stack.slug, ref)

    async def automations(self, ref: str = OPP) -> list[tuple[str, str]]:
        return [(line.text.split(":")[0], line.state) for line in await self.timeline(ref) if line.kind == "automation"]

    async def actions(self, ref: str = OPP):
        return await pipeline.actions(self.stack.db, self.stack.slug, ref)


async def poll(condition, timeout: float = 120.0):
    """Real time: activities do not skip it (the caller waits for handled events, not timers). A query the
    test server gave up on while the machine was busy is asked again."""
    for _ in range(int(timeout / 0.05)):
        try:
            if await condition():
                return
        except RPCError as exc:
            if "Timeout expired" not in exc.message:
                raise
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
async def pipe(stack) -> Pipeline:
    return Pipeline(stack)
