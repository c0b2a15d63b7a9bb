"""Real parts only: embedded PostgreSQL, the local SES endpoint (moto server) and the Temporal
time-skipping test server, all started once per session from the binaries in the venv."""

from __future__ import annotations

import os
import socket
import sysconfig
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

import models  # noqa: F401
from relance.config import Settings
from relance.db import Database
from relance.local import ses as local_ses
from relance.local.postgres import LocalPostgres
from relance.local.ses import LocalSes
from relance.local.temporal import ensure_search_attributes
from relance.mailer import SesMailer
from relance.migrate import upgrade_async
from relance.temporal_client import DATA_CONVERTER
from worker import build_worker

TEST_SERVER = os.path.join(sysconfig.get_path("scripts"), "temporal-test-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@pytest.fixture(scope="session")
async def env():
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=TEST_SERVER, data_converter=DATA_CONVERTER
    ) as environment:
        await ensure_search_attributes(environment.client, environment.client.namespace)
        yield environment


@pytest.fixture
async def clean(db, ses_endpoint, mailer):
    """Every test starts from an empty database and an empty mailbox."""
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    local_ses.reset(ses_endpoint)
    mailer._verified.clear()


@dataclass
class Stack:
    """What a workflow test needs: the clients, the database and a worker on its own task queue."""

    env: WorkflowEnvironment
    db: Database
    mailer: SesMailer
    ses_endpoint: str
    task_queue: str

    @property
    def client(self) -> Client:
        return self.env.client

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def today(self, tz: str = "Europe/Paris") -> date:
        return (await self.now()).astimezone(ZoneInfo(tz)).date()

    def sent(self) -> list[dict]:
        return local_ses.sent_messages(self.ses_endpoint)

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
        yield Stack(env, db, mailer, ses_endpoint, task_queue)
