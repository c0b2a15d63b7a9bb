"""`relance up`: every service of the local stack as a child process, stopped together on Ctrl-C.

State lives under RELANCE_HOME (.relance/ by default): PostgreSQL's data directory, Temporal's SQLite
file and the logs. Running `relance up` again resumes from it. The local SES endpoint keeps its mail
in memory only; the database's run timeline is the lasting record of what was sent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from urllib.parse import urlparse

from sqlalchemy.engine import make_url

from relance.config import Settings
from relance.local import process
from relance.local.postgres import LocalPostgres
from relance.local.ses import LocalSes, provision_events
from relance.local.temporal import LocalTemporal
from relance.webhooks.listener import LOCAL_HOST, LOCAL_PORT


@dataclass
class LocalStack:
    settings: Settings
    postgres: LocalPostgres = field(init=False)
    ses: LocalSes = field(init=False)
    temporal: LocalTemporal = field(init=False)
    _worker: subprocess.Popen | None = field(default=None, init=False)
    _codec: subprocess.Popen | None = field(default=None, init=False)
    _api: subprocess.Popen | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        home, s = self.settings.home, self.settings
        db = make_url(s.database_url)
        ses = urlparse(s.ses_endpoint)
        host, _, port = s.temporal_address.rpartition(":")
        self.logs = home / "logs"
        self.database = db.database
        self.postgres = LocalPostgres(home / "postgres", port=db.port or 5432, host=db.host or "127.0.0.1")
        self.ses = LocalSes(port=ses.port or 80, host=ses.hostname or "127.0.0.1", log_file=self.logs / "ses.log")
        self.codec_endpoint = f"http://127.0.0.1:{s.codec_port}" if s.codec_keys else ""
        self.temporal = LocalTemporal(home / "temporal.db", port=int(port), ui_port=s.ui_port, host=host,
                                      log_file=self.logs / "temporal.log", namespace=s.temporal_namespace,
                                      ui_codec_endpoint=self.codec_endpoint)

    def start_services(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.postgres.start()
        self.postgres.create_database(self.database)
        self.ses.start()
        # The SES events path production has (configuration set -> SNS -> SQS), on the local endpoint.
        provision_events(self.ses.endpoint, self.settings.ses_configuration_set, self.settings.aws_region)
        self.temporal.start()

    def start_worker(self) -> None:
        env = self.service_env()
        self._worker = self.spawn_worker()
        self._api = process.spawn([sys.executable, "-m", "relance.cli", "api"], self.logs / "api.log", env)
        if self.codec_endpoint:
            self._codec = process.spawn([sys.executable, "-m", "relance.cli", "codec-server"], self.logs / "codec.log",
                                        env)

    def spawn_worker(self, log_name: str = "worker.log") -> subprocess.Popen:
        """A `relance worker` process on the stack's queues; the bench and the chaos suite add a second one."""
        return process.spawn([sys.executable, "-m", "relance.cli", "worker"], self.logs / log_name, self.service_env())

    def service_env(self) -> dict[str, str]:
        # Flagged local: the services may use the README's secrets and a codec server without a token
        # (on 127.0.0.1), which they refuse anywhere else (Settings.refuse_unsafe).
        return {**self.outbound_env(), "RELANCE_LOCAL_STACK": "1"}

    def outbound_env(self) -> dict[str, str]:
        """The environment of the worker and the API: webhooks may reach the local receiver (`relance
        webhook listen`, 127.0.0.1:8765) besides public addresses and the hosts RELANCE_OUTBOUND_ALLOW names."""
        allow = ",".join(filter(None, [self.settings.outbound_allow, f"{LOCAL_HOST}:{LOCAL_PORT}"]))
        return {**os.environ, "RELANCE_OUTBOUND_ALLOW": allow}

    @property
    def api_url(self) -> str:
        return f"http://{self.settings.api_host}:{self.settings.api_port}"

    def stop(self) -> None:
        """Stop in reverse order; each one is tried even if another fails."""
        process.stop(self._api)
        process.stop(self._worker)
        process.stop(self._codec)
        for service in (self.temporal, self.ses, self.postgres):
            try:
                service.stop()
            except Exception as exc:  # keep stopping the others
                print(f"could not stop {type(service).__name__}: {exc}", file=sys.stderr)
