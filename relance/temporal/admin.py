"""Administration of a Temporal namespace for relance, on any server: the local dev server, the
time-skipping test server, a self-hosted cluster or Temporal Cloud. Every call is idempotent."""

from __future__ import annotations

from datetime import timedelta

from google.protobuf.duration_pb2 import Duration
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from relance.temporal import search_attributes


async def ensure_namespace(client: Client, namespace: str, retention: timedelta = timedelta(days=30)) -> bool:
    """Register the namespace unless it exists; True when it was created. (Temporal Cloud namespaces
    are created in its console; there this call is refused and says so.)"""
    period = Duration()
    period.FromTimedelta(retention)
    try:
        await client.workflow_service.register_namespace(RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=period))
    except RPCError as err:
        if err.status == RPCStatusCode.ALREADY_EXISTS:
            return False
        raise
    return True


async def ensure_search_attributes(client: Client, namespace: str) -> list[str]:
    """Register relance's search attributes missing from `namespace`; return the names added.

    Needed where start-dev's --search-attribute flags do not apply: the time-skipping test server
    and any other cluster. Idempotent; an attribute already registered with another type is an error.
    """
    try:
        existing = (await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace))).custom_attributes
    except RPCError as err:
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        return await _add_one_by_one(client, namespace)
    wrong = [key.name for key in search_attributes.ALL
             if key.name in existing and existing[key.name] != key.indexed_value_type]
    if wrong:
        raise RuntimeError(f"search attributes registered with another type in {namespace}: {', '.join(wrong)}")
    missing = {key.name: key.indexed_value_type for key in search_attributes.ALL if key.name not in existing}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing))
    return list(missing)


async def _add_one_by_one(client: Client, namespace: str) -> list[str]:
    """For the time-skipping test server: it cannot list search attributes, and it rejects a whole
    add request with ALREADY_EXISTS as soon as one name exists (without checking the type)."""
    added = []
    for key in search_attributes.ALL:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes={key.name: key.indexed_value_type}))
        except RPCError as err:
            if err.status != RPCStatusCode.ALREADY_EXISTS:
                raise
        else:
            added.append(key.name)
    return added
