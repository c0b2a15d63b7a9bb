"""schemathesis over the OpenAPI document, against the API served by uvicorn on the dev server and
the test database: whatever it sends, no 5xx and no answer outside the document (status, content
type, headers, body)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace

import hypothesis
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from relance import apikeys
from relance.api.app import create_app
from tests import factories as f
from tests.serving import Served

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


def fuzz(base: str, key: str) -> tuple[Counter, list[str]]:
    """Cases tried by answer status, and the failures."""
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    statuses, failures = Counter(), []
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                             suppress_health_check=list(hypothesis.HealthCheck))
        @hypothesis.given(case=operation.as_strategy())
        def check(case):
            response = case.call(base_url=base, headers={"Authorization": f"Bearer {key}"})
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:
                failures.append(f"{case.operation.label}: {str(exc).splitlines()[0]}")

        check()
    return statuses, failures


async def test_no_generated_request_gets_a_5xx_or_an_answer_outside_the_document(stack, dev_stack, settings, db):
    client, task_queue, _ = dev_stack
    stack.task_queue = task_queue
    await stack.load(stack.org(invoices=[f.invoice(), f.invoice("F-2", due="today+10")], contracts=[f.contract()]))
    key = (await apikeys.create_key(db, stack.slug, "fuzz", await stack.now()))[1]
    app_settings = replace(settings, task_queue=task_queue, temporal_address=client.service_client.config.target_host)
    async with Served(create_app(app_settings)) as base:
        statuses, failures = await asyncio.to_thread(fuzz, base, key)
    print(f"schemathesis: {statuses.total()} case(s) tried, {len(failures)} failure(s), answers {dict(statuses)}")
    assert statuses.total() >= 10 * EXAMPLES_PER_OPERATION
    assert statuses[200] + statuses[201] > 0, "some generated requests were accepted, not all refused"
    assert failures == []
