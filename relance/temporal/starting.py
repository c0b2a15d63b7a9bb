"""Starting and signalling runs under their deterministic ids, for every domain."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from relance.repository import NotFound
from relance.scenario.plan import RunState
from relance.temporal import search_attributes as sa


async def start_once(client: Client, workflow: str, arg, result_type: type, workflow_id: str, task_queue: str,
                     summary: str, attributes: list[SearchAttributePair],
                     reuse: WorkflowIDReusePolicy = WorkflowIDReusePolicy.REJECT_DUPLICATE) -> WorkflowHandle | None:
    """Start a workflow by its type name under its deterministic id; None when that id has a run already,
    running or finished (reject-duplicate id reuse: never restarted; `reuse=ALLOW_DUPLICATE` starts a
    new run after a finished one). By name, so that the activities that start runs need not import the
    workflows (imports point down)."""
    try:
        return await client.start_workflow(
            workflow, arg, id=workflow_id, task_queue=task_queue, result_type=result_type,
            id_reuse_policy=reuse,
            search_attributes=TypedSearchAttributes(
                [*attributes, SearchAttributePair(sa.STATE, RunState.STARTING.value)]),
            static_summary=summary,
        )
    except WorkflowAlreadyStartedError:
        return None


async def signal_if_running(client: Client, workflow_id: str, signal, *args) -> bool:
    """Signal a run; False when it is not running."""
    try:
        await client.get_workflow_handle(workflow_id).signal(signal, *args)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True




async def update_if_running(client: Client, workflow_id: str, update, *args):
    """Run an update on a running workflow and return its answer; None when it is not running (the
    update's own refusal raises WorkflowUpdateFailedError with the reason)."""
    try:
        return await client.get_workflow_handle(workflow_id).execute_update(update, *args)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def update_or_refuse(client: Client, workflow_id: str, update, arg, *, what: str, missing: str,
                           result_type: type | None = None):
    """Run an update on a running workflow for a person or the host: the workflow's refusal becomes a
    ValueError naming `what` with its reason, a workflow that is not there NotFound(`missing`)."""
    try:
        return await client.get_workflow_handle(workflow_id).execute_update(update, arg, result_type=result_type)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        raise ValueError(f"{what}: {getattr(cause, 'message', None) or cause or exc}") from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise NotFound(missing) from exc
        raise
