"""Enrolling a contact in a marketing scenario: one run per contact and scenario, under its
deterministic id. Used by the host API, the CLI and batch enrolment (and, next, the pipeline's
automations)."""

from __future__ import annotations

import dataclasses
from enum import StrEnum

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import SearchAttributePair, WorkflowIDReusePolicy

from relance.marketing.ids import ENROLMENT_WORKFLOW, marketing_workflow_id
from relance.marketing.types import EnrolmentResult, MarketingInput
from relance.temporal import search_attributes as sa
from relance.temporal.revision import REVISION
from relance.temporal.starting import start_once


class Enrolled(StrEnum):
    """What enrolling did; everything but STARTED is a no-op that says why."""

    STARTED = "started"
    ALREADY_RUNNING = "already_running"
    FINISHED_NO_REENTRY = "finished_no_reentry"  # the scenario does not take a contact who finished again


async def start_enrolment(client: Client, task_queue: str, inp: MarketingInput,
                          allow_reentry: bool) -> tuple[Enrolled, WorkflowHandle | None]:
    """What enrolling did, with the new run's handle when it started one."""
    workflow_id = marketing_workflow_id(inp.org_slug, inp.scenario_key, inp.contact_ref)
    handle = await start_once(
        client, ENROLMENT_WORKFLOW, dataclasses.replace(inp, revision=REVISION),
        EnrolmentResult, workflow_id, task_queue, f"Marketing {inp.scenario_key} for contact {inp.contact_ref} "
        f"({inp.org_slug})",
        [SearchAttributePair(sa.ORGANISATION, inp.org_slug), SearchAttributePair(sa.SCENARIO, inp.scenario_key),
         SearchAttributePair(sa.CONTACT, inp.contact_ref)],
        reuse=WorkflowIDReusePolicy.ALLOW_DUPLICATE if allow_reentry else WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )
    if handle is not None:
        return Enrolled.STARTED, handle
    # The raw description: the typed one rejects a Datetime search attribute left unset (the test server's).
    described = await client.workflow_service.describe_workflow_execution(DescribeWorkflowExecutionRequest(
        namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)))
    running = described.workflow_execution_info.status == WorkflowExecutionStatus.RUNNING.value
    return Enrolled.ALREADY_RUNNING if running else Enrolled.FINISHED_NO_REENTRY, None
