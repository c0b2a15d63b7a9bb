"""The stack under test: relance's own local launchers on free ports in a throw-away RELANCE_HOME,
and two workers, each in its own process, so their CPU and memory can be read apart (plus, when asked,
more relance worker processes on the same queues: the 1-versus-2-worker figures)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from temporalio.client import Client

from relance.config import Settings
from relance.local import process
from relance.local.stack import LocalStack
from relance.migrate import upgrade_async
from relance.temporal.client import connect

BASELINE_QUEUE = "bench-baseline"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class BenchStack:
    home: Path
    settings: Settings = field(init=False)
    local: LocalStack = field(init=False)
    baseline_worker: subprocess.Popen | None = field(default=None, init=False)
    extra_workers: list[subprocess.Popen] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        # The relance worker reads its settings from the environment, like in production.
        os.environ.update({
            "RELANCE_HOME": str(self.home),
            "RELANCE_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/relance",
            "RELANCE_SES_ENDPOINT": f"http://127.0.0.1:{free_port()}",
            "RELANCE_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
            "RELANCE_TEMPORAL_UI_PORT": str(free_port()),
            "RELANCE_API_PORT": str(free_port()),
            "RELANCE_TASK_QUEUE": "relance-bench",
            "RELANCE_LOG_FORMAT": "json",
        })
        # Workers run as installed (pip writes bytecode): without .pyc files the workflow sandbox
        # compiles the workflow's module from source for every new run, a cost production never pays.
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        self.settings = Settings()
        self.local = LocalStack(self.settings)

    async def start(self) -> Client:
        self.local.start_services()
        await upgrade_async(self.settings.database_url)
        await self.local.temporal.wait_ready()
        self.local.start_worker()
        self.baseline_worker = process.spawn(
            [sys.executable, "-m", "bench.baseline_worker", self.settings.temporal_address, BASELINE_QUEUE],
            self.local.logs / "baseline_worker.log")
        return await connect(self.settings)

    def add_worker(self) -> None:
        """One more relance worker process polling the same queues."""
        self.extra_workers.append(self.local.spawn_worker(f"worker-{len(self.extra_workers) + 2}.log"))

    def remove_extra_workers(self) -> None:
        for worker in self.extra_workers:
            process.stop(worker)
        self.extra_workers.clear()

    def processes(self) -> dict[str, psutil.Process]:
        """The processes whose CPU and memory the bench reads: "worker" is the first relance worker,
        "worker-2"… the ones add_worker started."""
        postmaster = int((self.local.postgres.data_dir / "postmaster.pid").read_text().split()[0])
        return {"worker": psutil.Process(self.local._worker.pid),
                **{f"worker-{i}": psutil.Process(w.pid) for i, w in enumerate(self.extra_workers, start=2)},
                "baseline_worker": psutil.Process(self.baseline_worker.pid),
                "server": psutil.Process(self.local.temporal._process.pid),
                "postgres": psutil.Process(postmaster),
                "ses": psutil.Process(self.local.ses._process.pid)}

    def check_alive(self) -> None:
        for name, proc in (("relance worker", self.local._worker), *(("relance worker", w) for w in self.extra_workers),
                           ("baseline worker", self.baseline_worker)):
            if not process.running(proc):
                raise RuntimeError(f"the {name} exited; see {self.local.logs}")

    def stop(self) -> None:
        self.remove_extra_workers()
        process.stop(self.baseline_worker)
        self.local.stop()
