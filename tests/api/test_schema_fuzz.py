"""schemathesis over the OpenAPI document, against the API served by uvicorn on the dev server and
the test database: whatever it sends, no 5xx and no answer outside the document (status, content
type, headers, body), and no time without the organisation's offset. Three passes, each a test of its
own (so three test processes share the work): cases drawn from the document; the same with one body
field or path parameter set to a number at the edge (huge, negative, many decimals, NaN); and
sequences following the document's links (create, then read, then change)."""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import count

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from relance import apikeys
from relance.api.app import create_app
from tests import factories as f
from tests.agency import data
from tests.serving import Served

EXAMPLES_PER_OPERATION = 25
EDGE_EXAMPLES_PER_OPERATION = 20
STATEFUL_SCENARIOS, STATEFUL_STEPS = 40, 6
EDGES = [10**20, -(10**20), 2**31, -(2**31) - 1, -1, 0, 1e308, -1e308, "1e15", "1e30", "-1e30", "100.001",
         "0.000000001", 1.0000000001, math.nan, math.inf, "NaN", "Infinity", "-0"]
# How long an answer may take: correctness is checked here, speed by bench.api_latency; under a loaded
# machine (the suite's other processes) schemathesis's 10 s default failed a request that was only slow.
ANSWER_TIMEOUT = 60
UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|\+00:00)$")


def times_in_the_organisations_zone(ctx, response, case) -> bool | None:
    """Every time in an answer carries the organisation's offset (Europe/Paris here), never UTC's."""
    if "json" not in response.headers.get("content-type", [""])[0]:
        return None
    utc = [text for text in _strings(response.json()) if UTC_TIME.match(text)]
    if utc:
        raise AssertionError(f"times in UTC, not the organisation's zone: {utc[:3]}")
    return None


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            yield from _strings(item)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, times_in_the_organisations_zone]


@dataclass
class Tally:
    """Cases tried by pass and answer status, and the failures."""

    statuses: dict[str, Counter] = field(default_factory=lambda: {"drawn": Counter(), "edges": Counter(),
                                                                  "stateful": Counter()})
    failures: list[str] = field(default_factory=list)

    def record(self, run: str, case, response) -> None:
        self.statuses[run][response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis's FailureGroup is a BaseExceptionGroup
            what = " / ".join(line.strip() for line in str(exc).splitlines()[:12] if line.strip())
            self.failures.append(f"{run}: {case.operation.label}: {what}")

    def total(self, run: str) -> int:
        return self.statuses[run].total()


def _slots(case) -> list[tuple[object, object]]:
    """Where an edge number can go: each body field (and each field of an object in a body list) and
    each path parameter."""
    slots = [(case.path_parameters, name) for name in case.path_parameters or {}]
    if isinstance(case.body, dict):
        slots += [(case.body, name) for name in case.body]
        slots += [(item, name) for value in case.body.values() if isinstance(value, list)
                  for item in value[:1] if isinstance(item, dict) for name in item]
    return slots


def valid_requests() -> list[tuple[str, str, dict, dict | None]]:
    """Requests the test data accepts (method, path, path or query parameters, body): each field set to
    an edge reaches the database unless refused first."""
    invoice = {k: v for k, v in f.invoice(due="today+30").items() if k != "number"}
    booking = data.booking("R9", "2030-05-10", "2030-05-17", balance_amount="100.00", balance_due_on="2030-05-01")
    return [("PUT", "/v1/invoices/{number}", {"number": "F-9"}, invoice),
            ("POST", "/v1/invoices/{number}/payments", {"number": "F-1"}, {"ref": "P-edge", "amount": "1.00"}),
            ("PUT", "/v1/agencies/{agency_slug}/bookings/{reference}", {"agency_slug": "mer", "reference": "R9"},
             booking),
            ("POST", "/v1/agencies/{agency_slug}/drafts/{draft_id}/send", {"agency_slug": "mer", "draft_id": 1},
             {"version": 1}),
            ("POST", "/v1/agencies/{agency_slug}/tabs/{kind}/send", {"agency_slug": "mer", "kind": "arrival"},
             {"draft_ids": [1]}),
            ("GET", "/v1/webhook-deliveries/{delivery_id}/attempts", {"delivery_id": 1}, None),
            ("GET", "/v1/forecast", {"days": 30}, None),
            ("GET", "/v1/renewal-notices", {"days": 30}, None),
            ("GET", "/v1/webhook-deliveries", {"limit": 10}, None)]


def valid_requests_at_the_edge(schema, base: str, auth: dict, tally: Tally) -> None:
    for method, path, parameters, body in valid_requests():
        operation = schema[path][method]
        in_query = method == "GET" and "{" not in path
        for name, edge in ((name, edge) for name in [*parameters, *(body or {})] for edge in EDGES):
            params, changed = dict(parameters), dict(body or {})
            (params if name in parameters else changed)[name] = str(edge) if name in parameters else edge
            case = operation.Case(path_parameters={} if in_query else params, query=params if in_query else None,
                                  body=changed if body is not None else NOT_SET,
                                  media_type="application/json" if body is not None else None)
            raw = {"data": json.dumps(changed), "headers": {**auth, "content-type": "application/json"}}
            tally.record("edges", case, case.call(base_url=base, timeout=ANSWER_TIMEOUT,
                                                                **(raw if body is not None else {"headers": auth})))


SETTINGS = hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                               suppress_health_check=list(hypothesis.HealthCheck))


def drawn(schema, base: str, auth: dict, tally: Tally) -> None:
    """Cases drawn from the document, operation by operation."""
    for result in schema.get_all_operations():
        operation = result.ok()

        @SETTINGS
        @hypothesis.given(case=operation.as_strategy())
        def accept(case):
            tally.record("drawn", case, case.call(base_url=base, headers=auth, timeout=ANSWER_TIMEOUT))

        accept()


def edges(schema, base: str, auth: dict, tally: Tally) -> None:
    """Drawn cases with one body field or path parameter set to an edge number, then the valid requests
    with each field so set."""
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.settings(SETTINGS, max_examples=EDGE_EXAMPLES_PER_OPERATION)
        @hypothesis.given(case=operation.as_strategy(), edge=st.sampled_from(EDGES), pick=st.integers(0, 100))
        def at_the_edge(case, edge, pick):
            slots = _slots(case)
            if not slots:
                return
            container, name = slots[pick % len(slots)]
            container[name] = str(edge) if container is case.path_parameters else edge
            raw = {}  # NaN and Infinity as Python's json writes them (requests refuses to)
            if isinstance(case.body, dict) and case.media_type == "application/json":
                raw = {"data": json.dumps(case.body), "headers": {**auth, "content-type": case.media_type}}
            tally.record("edges", case, case.call(base_url=base, timeout=ANSWER_TIMEOUT,
                                                                **({"headers": auth} | raw)))

        at_the_edge()

    valid_requests_at_the_edge(schema, base, auth, tally)


def stateful(schema, base: str, auth: dict, tally: Tally, fresh_key) -> None:
    """Sequences following the document's links."""

    class Linked(schema.as_state_machine()):
        """Each scenario in an organisation of its own, as it was loaded: hypothesis replays a scenario's
        choices and expects the same rules to apply, which an earlier scenario's writes (a 409 where
        there was a 201) made it find otherwise ("Inconsistent data generation")."""

        def setup(self):
            self.auth = {"Authorization": f"Bearer {fresh_key()}"}

        def get_call_kwargs(self, case):
            return {"base_url": base, "headers": self.auth, "timeout": ANSWER_TIMEOUT}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            tally.record("stateful", case, response)

    Linked.run(settings=hypothesis.settings(SETTINGS, max_examples=STATEFUL_SCENARIOS,
                                            stateful_step_count=STATEFUL_STEPS))


def fuzz(run: str, base: str, key: str, tally: Tally, fresh_key) -> None:
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    auth = {"Authorization": f"Bearer {key}"}
    if run == "drawn":
        drawn(schema, base, auth, tally)
    elif run == "edges":
        edges(schema, base, auth, tally)
    else:
        stateful(schema, base, auth, tally, fresh_key)


@pytest.mark.slow
@pytest.mark.parametrize("run", ["drawn", "edges", "stateful"])  # three tests: three test processes at once
async def test_no_generated_request_gets_a_5xx_or_an_answer_outside_the_document(stack, dev_stack, settings, db,
                                                                                 run):
    client, task_queue, _ = dev_stack
    stack.task_queue = task_queue
    organisations, loop = count(), asyncio.get_running_loop()

    async def organisation_and_key() -> str:
        """A new organisation with the same data, and an API key for it."""
        slug = f"{stack.slug}-{next(organisations)}"
        agency = data.organisation(slug, [data.booking("R1", "today+7", "today+14")], {"arrival": 7})["agencies"]
        await stack.load(f.org(slug=slug, invoices=[f.invoice(), f.invoice("F-2", due="today+10")],
                               contracts=[f.contract()], agencies=agency))
        return (await apikeys.create_key(db, slug, "fuzz", await stack.now()))[1]

    def fresh_key() -> str:  # from the thread schemathesis runs in
        return asyncio.run_coroutine_threadsafe(organisation_and_key(), loop).result()

    key = await organisation_and_key()
    app_settings = replace(settings, task_queue=task_queue, temporal_address=client.service_client.config.target_host)
    tally = Tally()
    async with Served(create_app(app_settings)) as base:
        await asyncio.to_thread(fuzz, run, base, key, tally, fresh_key)
    statuses = tally.statuses[run]
    print(f"schemathesis {run}: {statuses.total()} case(s), answers {dict(sorted(statuses.items()))}")
    print(f"schemathesis: {len(tally.failures)} failure(s)")
    assert tally.total(run) >= {"drawn": 10 * EXAMPLES_PER_OPERATION, "edges": 10 * EDGE_EXAMPLES_PER_OPERATION,
                                "stateful": STATEFUL_SCENARIOS}[run]
    if run == "drawn":
        assert statuses[200] + statuses[201] > 0, "some generated requests were accepted"
    assert sorted(set(tally.failures)) == []
