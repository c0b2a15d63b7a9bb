"""`relance admin setup` on a real server: namespace and search attributes, idempotently."""

import asyncio
import uuid

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from relance.temporal import search_attributes
from tests import cli_fork


async def test_admin_setup_creates_namespace_and_attributes_once(dev_stack):
    client, _, env = dev_stack
    namespace = f"relance-{uuid.uuid4().hex[:8]}"

    async def admin():
        return await asyncio.to_thread(cli_fork.run, ["admin", "setup", "--namespace", namespace,
                                                      "--create-namespace"], env)

    first = await admin()
    assert first.returncode == 0, first.stderr
    assert f"namespace {namespace}: created" in first.stdout
    assert "added RelanceOrganisation" in first.stdout
    second = await admin()
    assert "already there" in second.stdout and "all already there" in second.stdout
    listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))
    assert {key.name for key in search_attributes.ALL} <= set(listed.custom_attributes)
