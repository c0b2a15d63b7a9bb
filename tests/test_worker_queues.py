"""A `relance worker` process polls only the queues RELANCE_WORKER_QUEUES names, so the work splits over
processes: a reminder whose run has no email worker yet waits for one, then goes once."""

import asyncio
import uuid

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest

from relance.config import ConfigError, Settings
from tests import factories as f
from tests.conftest import Stack
from worker import build_worker


async def _pending_activities(stack: Stack, workflow_id: str) -> list[str]:
    answer = await stack.client.workflow_service.describe_workflow_execution(DescribeWorkflowExecutionRequest(
        namespace=stack.client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)))
    return [pending.activity_type.name for pending in answer.pending_activities]


async def test_a_reminder_waits_for_an_email_worker_then_goes_once(env, db, mailer, ses_endpoint, clean):
    stack = Stack(env, db, mailer, ses_endpoint, f"relance-split-{uuid.uuid4()}", f"acme-{uuid.uuid4().hex[:8]}")
    await mailer.verify(f.SENDER)
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    async with build_worker(env.client, stack.task_queue, db, mailer, queues=("workflows", "webhooks")):
        handle = await stack.start()
        for _ in range(200):
            if pending := await _pending_activities(stack, handle.id):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1)  # time for a worker that wrongly polled the email queue to send
        assert pending and stack.sent() == []
        assert await stack.emails() == []
        async with build_worker(env.client, stack.task_queue, db, mailer, queues=("email",)):
            await handle.result()
    [message] = stack.sent()
    assert message["destinations"]["to"]
    assert len(await stack.emails()) == 1


@pytest.mark.parametrize("value", ["sms", "email,fax", " , "])
def test_an_unknown_queue_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("RELANCE_WORKER_QUEUES", value)
    with pytest.raises(ConfigError, match="RELANCE_WORKER_QUEUES=.*workflows, email, webhooks"):
        Settings()


def test_a_subset_is_read_in_the_order_given_without_repeats(monkeypatch):
    monkeypatch.setenv("RELANCE_WORKER_QUEUES", "email, webhooks,email")
    assert Settings().worker_queues == ("email", "webhooks")
