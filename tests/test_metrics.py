"""The worker's Prometheus endpoint: the SDK's metrics and relance's (reminders sent, exits by
reason, steps not sent and why)."""

import urllib.request
import uuid

from temporalio.client import Client

from relance.temporal.client import DATA_CONVERTER, metrics_runtime
from starter.dunning import start_dunning_run
from tests import factories as f
from tests.conftest import free_port
from worker import build_worker


async def test_worker_exports_relance_and_sdk_metrics(stack):
    await stack.mailer.verify(f.SENDER)
    accounts = [{"ref": "C2", "name": "Nobody"}]
    await stack.load(stack.org(f.ONE_REMINDER, accounts=[*f.BASE_ORG["accounts"], *accounts],
                               invoices=[f.invoice("F-1"), f.invoice("F-2", account="C2")]))
    address = f"127.0.0.1:{free_port()}"
    client = await Client.connect(stack.client.service_client.config.target_host, namespace=stack.client.namespace,
                                  data_converter=DATA_CONVERTER, runtime=metrics_runtime(address))
    queue = f"metrics-{uuid.uuid4()}"
    async with build_worker(client, queue, stack.db, stack.mailer):
        for number, customer in (("F-1", "C1"), ("F-2", "C2")):
            await (await start_dunning_run(client, queue, stack.slug, number, customer)).result()
        text = urllib.request.urlopen(f"http://{address}/metrics", timeout=10).read().decode()
    lines = [line for line in text.splitlines() if line.startswith("relance_") or line.startswith("temporal_")]
    assert any(line.startswith("relance_reminders_sent") and line.endswith(" 1") for line in lines), lines
    assert any('relance_runs_ended' in line and 'reason="completed"' in line and line.endswith(" 2") for line in lines)
    assert any('relance_steps_not_sent' in line and 'reason="no_recipient"' in line for line in lines)
    assert any(line.startswith("temporal_workflow_completed") for line in lines)
