"""Real parts only: embedded PostgreSQL, the local SES endpoint (moto server) and the Temporal
time-skipping test server, all started once per session from the binaries in the venv."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import socket
import subprocess
import sys
import sysconfig
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import SQLModel, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment

from models import RunEvent, Task
from relance.config import Settings
from relance.db import Database
from relance.dunning.ids import dunning_workflow_id
from relance.email.mailer import SesMailer
from relance.local import ses as local_ses
from relance.local.postgres import LocalPostgres
from relance.local.reaper import guard
from relance.local.ses import LocalSes
from relance.migrate import upgrade_async
from relance.outbound import Allowlist
from relance.temporal.admin import ensure_search_attributes
from relance.temporal.client import DATA_CONVERTER
from relance.temporal.queues import webhook_queue
from relance.webhooks.publishing import Publisher
from starter.dunning import start_dunning_run
from tests import factories
from worker import build_worker

TEST_SERVER = os.path.join(sysconfig.get_path("scripts"), "temporal-test-server")
# The tests, like `relance up`, run the services with the README's local secrets (Settings.refuse_unsafe);
# tests/test_production_defaults.py takes the flag away to see them refused.
os.environ.setdefault("RELANCE_LOCAL_STACK", "1")

# The tests' webhook receivers listen on 127.0.0.1, which relance.outbound refuses unless the operator's
# allow-list names it: named here for the in-process workers and API (their Settings read it) and for
# the `relance` commands the tests start (they inherit this environment). Direct calls pass RECEIVERS.
os.environ["RELANCE_OUTBOUND_ALLOW"] = "127.0.0.1"
RECEIVERS = Allowlist.parse(os.environ["RELANCE_OUTBOUND_ALLOW"])

def _read_history_again_after_an_http2_error() -> None:
    """The time-skipping test server (Java's, built native) has answered a result's history long-poll with
    an HTTP/2 protocol error (INTERNAL, "h2 protocol error") twice in about ten full runs, on busy cores
    (tests/marketing/test_uncertain.py once); the SDK's client retries other transport errors, not that
    one. Reading a history changes nothing, so that read, on that error only, is asked again (twice at
    most): a test still fails on any other error, or on a third one."""
    from temporalio.service import RPCError, RPCStatusCode, _BridgeServiceClient

    call = _BridgeServiceClient._rpc_call

    async def rpc_call(self, *args, **kwargs):
        for attempt in range(3):
            try:
                return await call(self, *args, **kwargs)
            except RPCError as err:
                transient = (kwargs.get("rpc") == "get_workflow_execution_history" and err.status == RPCStatusCode.INTERNAL
                             and "h2 protocol error" in err.message)
                if not transient or attempt == 2:
                    raise
                await asyncio.sleep(0.2)

    _BridgeServiceClient._rpc_call = rpc_call


_read_history_again_after_an_http2_error()


# The Java test server does not advertise a capability the SDK core asks for, and core warns about it
# on every worker start: a clean test log shows only what the tests say (errors still show).
Runtime.set_default(Runtime(telemetry=TelemetryConfig(
    logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR")))))


WATCHDOG = pytest.StashKey()


def pytest_configure(config):
    """Every process the session starts (servers, `relance up`s, browsers, xdist workers) dies with it,
    even when it is killed (relance.local.reaper); the xdist workers are below the controller's guard."""
    if not hasattr(config, "workerinput"):  # not an xdist worker
        config.stash[WATCHDOG] = guard()


def pytest_unconfigure(config):
    from tests.cli_fork import Forkserver

    Forkserver.stop()


def pytest_collection_modifyitems(config, items):
    """Under xdist (worksteal) each test process first takes a contiguous share of the list, the first
    len/n tests to the first process and so on: the slow tests are dealt one to the head of each share
    in turn, so none of them is left waiting at the end of a process while the others have finished."""
    shares = int(getattr(config, "workerinput", {}).get("workercount", 1))
    slow = [item for item in items if item.get_closest_marker("slow")]
    if shares < 2 or not slow:
        return
    rest = [item for item in items if not item.get_closest_marker("slow")]
    dealt, remaining = [], len(items)
    for share in range(shares):
        size = remaining // (shares - share)  # as xdist's scheduler sizes it
        heads = slow[share::shares]
        dealt += heads + rest[:size - len(heads)]
        rest, remaining = rest[size - len(heads):], remaining - size
    items[:] = dealt + rest


# Ports for the servers tests start: below the kernel's ephemeral range (32768-60999), where a port
# asked of the kernel (bind to 0) comes from and every outgoing connection takes its own, so a port
# chosen now is still free when its server binds it (a dev server once lost its Web UI port that way);
# a block per test process, from a random point, so neither two processes nor two sessions pick alike.
PORTS = range(20000, 32000)
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_BLOCK = len(PORTS) // max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")), _WORKER + 1)


def _ports_of_this_process():
    first, start = PORTS.start + _WORKER * _BLOCK, random.randrange(_BLOCK)
    for step in itertools.count():
        yield first + (start + step) % _BLOCK


_candidates = _ports_of_this_process()


def free_port() -> int:
    """A port no one listens on, from this test process's block."""
    for port in itertools.islice(_candidates, _BLOCK):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port left among the {_BLOCK} of test process {_WORKER}")


def local_stack_env(home, ports: dict[str, int] | None = None) -> dict[str, str]:
    """The environment of a `relance up` of its own: state under `home`, services on free ports
    (`ports`: pg, ses, temporal, ui, api)."""
    ports = {name: free_port() for name in ("pg", "ses", "temporal", "ui", "api")} | (ports or {})
    return {
        **os.environ,
        "RELANCE_HOME": str(home),
        "RELANCE_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{ports['pg']}/relance",
        "RELANCE_SES_ENDPOINT": f"http://127.0.0.1:{ports['ses']}",
        "RELANCE_TEMPORAL_ADDRESS": f"127.0.0.1:{ports['temporal']}",
        "RELANCE_TEMPORAL_UI_PORT": str(ports["ui"]),
        "RELANCE_API_PORT": str(ports["api"]),
    }


def start_up(env: dict[str, str], *args: str, cwd=None) -> subprocess.Popen:
    """`relance up` in the background, returned once it has printed its summary and waits for Ctrl-C."""
    process = subprocess.Popen([sys.executable, "-m", "relance.cli", "up", *args], env=env, cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "Press Ctrl-C" in line:
            break
    if not any("relance is up" in line for line in lines):
        process.terminate()  # it stops what it started
        process.wait(timeout=60)
        raise AssertionError("relance up did not come up:\n" + "".join(lines))
    return process


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    pg = LocalPostgres(tmp_path_factory.mktemp("postgres") / "data", port=free_port())
    pg.start()
    pg.create_database("relance_test")
    yield pg
    pg.destroy()


@pytest.fixture(scope="session")
def ses_endpoint():
    server = LocalSes(port=free_port())
    server.start()
    yield server.endpoint
    server.stop()


@pytest.fixture(scope="session")
def settings(postgres, ses_endpoint) -> Settings:
    return Settings(database_url=postgres.url("relance_test"), ses_endpoint=ses_endpoint, task_queue="relance-test")


@pytest.fixture(scope="session")
async def db(settings):
    await upgrade_async(settings.database_url)
    database = Database(settings.database_url)
    yield database
    await database.close()


@pytest.fixture(scope="session")
def mailer(settings) -> SesMailer:
    return SesMailer(settings)


@pytest.fixture
async def env():
    """A fresh test server per test (it starts in ~0.2 s): time jumps after result() and runs left
    waiting would otherwise leak from one test into the next."""
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=TEST_SERVER, data_converter=DATA_CONVERTER
    ) as environment:
        await ensure_search_attributes(environment.client, environment.client.namespace)
        yield environment


@pytest.fixture
async def clean(db, ses_endpoint, mailer):
    """Every test starts from an empty database (its ids from 1 again) and an empty mailbox."""
    async with db.engine.begin() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await raw.execute(await _emptying(raw))
    local_ses.reset(ses_endpoint)
    mailer._verified.clear()


_EMPTYING: list[str] = []


async def _emptying(connection) -> str:
    """DELETE from each table and every sequence restarted: what a test leaves is a few rows, which
    DELETE removes in 10 ms of the server's CPU where TRUNCATE, making each table's and index's files
    anew, takes 85 ms. Foreign keys are not checked meanwhile (a replica's role), as some go both ways."""
    if not _EMPTYING:
        sequences = await connection.fetch("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
        _EMPTYING.append("; ".join(["SET LOCAL session_replication_role = replica"] +
                                   [f'DELETE FROM "{table.name}"' for table in SQLModel.metadata.sorted_tables] +
                                   [f'ALTER SEQUENCE "{row[0]}" RESTART' for row in sequences]))
    return _EMPTYING[0]


@dataclass
class Stack:
    """What a workflow test needs: the clients, the database and a worker on its own task queue."""

    env: WorkflowEnvironment
    db: Database
    mailer: SesMailer
    ses_endpoint: str
    task_queue: str
    slug: str

    @property
    def client(self) -> Client:
        return self.env.client

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def today(self, tz: str = "Europe/Paris") -> date:
        return (await self.now()).astimezone(ZoneInfo(tz)).date()

    async def mid_morning(self, tz: str = "Europe/Paris") -> None:
        """Skip to the next 10:00 in `tz`. The test server's clock starts at the real time: a test that
        counts days there, started just before midnight, had a step taken "at once" land on the next day."""
        now = (await self.now()).astimezone(ZoneInfo(tz))
        ten = now.replace(hour=10, minute=0, second=0, microsecond=0)
        await self.env.sleep((ten if ten > now else ten + timedelta(days=1)) - now)

    def webhooks(self, task_queue: str | None = None) -> Publisher:
        """The webhook publisher a worker on `task_queue` (default: the stack's) gives its activities."""
        return Publisher(self.db, self.client, webhook_queue(task_queue or self.task_queue))

    def sent(self) -> list[dict]:
        return local_ses.sent_messages(self.ses_endpoint)

    def org(self, steps: list | None = None, **overrides) -> dict:
        return factories.org(steps, slug=self.slug, **overrides)

    async def load(self, organisation: dict):
        return await factories.load(self.db, organisation, await self.today(organisation.get("timezone", "Europe/Paris")))

    async def start(self, number: str = "F-1", customer: str = "C1"):
        return await start_dunning_run(self.client, self.task_queue, self.slug, number, customer)

    async def timeline(self, number: str = "F-1") -> list[RunEvent]:
        async with self.db.session() as session:
            rows = await session.exec(select(RunEvent).where(
                RunEvent.workflow_id == dunning_workflow_id(self.slug, number)).order_by(RunEvent.id))
            return list(rows.all())

    async def emails(self, number: str = "F-1", outcome: str = "sent") -> list[RunEvent]:
        return [e for e in await self.timeline(number) if e.kind == "email" and e.outcome == outcome]

    async def describe(self, workflow_id: str):
        """The raw description. (The test server keeps an unset Datetime search attribute as null,
        which the SDK's typed describe() rejects.)"""
        answer = await self.client.workflow_service.describe_workflow_execution(DescribeWorkflowExecutionRequest(
            namespace=self.client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)))
        return answer.workflow_execution_info

    async def keywords(self, handle) -> dict[str, str | list[str]]:
        """Keyword (and keyword list) search attributes of a run."""
        raw = (await self.describe(handle.id)).search_attributes
        converter = DataConverter.default.payload_converter
        return {name: converter.from_payloads([payload])[0] for name, payload in raw.indexed_fields.items()
                if payload.metadata.get("type") in (b"Keyword", b"KeywordList")}

    async def tasks(self) -> list[Task]:
        async with self.db.session() as session:
            return list((await session.exec(select(Task).order_by(Task.id))).all())

    async def advance_until(self, condition, step: timedelta = timedelta(hours=1), limit: int = 500):
        """Skip time in small steps until `condition()` (sync or async) holds."""
        for _ in range(limit):
            result = condition()
            if hasattr(result, "__await__"):
                result = await result
            if result:
                return result
            await self.env.sleep(step)
        raise AssertionError(f"condition not met after {limit} x {step}")


@pytest.fixture
async def stack(env, db, mailer, ses_endpoint, clean):
    task_queue = f"relance-test-{uuid.uuid4()}"
    async with build_worker(env.client, task_queue, db, mailer):
        yield Stack(env, db, mailer, ses_endpoint, task_queue, f"acme-{uuid.uuid4().hex[:8]}")



@pytest.fixture(scope="session")
async def dev_server(tmp_path_factory):
    """The real Temporal dev server (schedules, visibility), as `relance up` runs it."""
    from relance.local.temporal import LocalTemporal

    for attempt in range(3):  # its own internal ports are the kernel's: one can be taken before it binds
        home = tmp_path_factory.mktemp("temporal")
        server = LocalTemporal(home / "temporal.db", port=free_port(), ui_port=free_port(), log_file=home / "log")
        server.start()
        try:
            await server.wait_ready()
            break
        except RuntimeError:
            if server.is_running() or attempt == 2:
                raise
    yield server
    server.stop()


@pytest.fixture
async def dev_stack(dev_server, db, mailer, ses_endpoint, settings, clean):
    """A worker on the dev server, and the environment a `relance` command needs to reach it all."""
    from dataclasses import replace

    from relance.temporal.client import connect

    task_queue = f"relance-dev-{uuid.uuid4()}"
    client = await connect(replace(settings, temporal_address=dev_server.address))
    env_vars = {
        **os.environ, "RELANCE_DATABASE_URL": settings.database_url, "RELANCE_SES_ENDPOINT": ses_endpoint,
        "RELANCE_TEMPORAL_ADDRESS": dev_server.address, "RELANCE_TASK_QUEUE": task_queue,
    }
    async with build_worker(client, task_queue, db, mailer):
        yield client, task_queue, env_vars
