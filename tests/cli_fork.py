"""`relance` commands for the tests, forked from a process that has already imported what they import.

A command started as `python -m relance.cli …` spends about 2 s of CPU importing Temporal, SQLAlchemy,
the models and boto3 before it does anything; the suite runs hundreds. Here one server process per
test process imports the libraries once (not the `relance.cli` modules: preloading them too measured
no gain), then forks for each command: the child takes the caller's argv, environment, working
directory and standard streams (passed as file descriptors over a Unix socket) and runs
`relance.cli.main.main`, the entry point of the installed `relance` script. What a command does
and prints is its own; only the interpreter's start is shared. The tests of the start itself (Ctrl-C,
`relance up`, the worker, the API, the start time, import errors) run the real script.

`run()` is for Python tests; `shim_directory()` holds an executable `relance` that does the same from a
shell (the tours' blocks call it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

# Imported once by the server: what the commands import, and nothing that reads the environment when
# imported (a command reads $USER, its settings and its language when it runs).
PRELOADED = ["click", "structlog", "sqlalchemy", "sqlmodel", "asyncpg", "temporalio.client", "temporalio.worker",
             "boto3", "aiohttp", "jinja2", "holidays", "email_validator", "models", "relance.db", "relance.config",
             "starter.agency", "starter.documents", "starter.dunning", "starter.dunning_customer",
             "starter.marketing", "starter.pipeline", "starter.renewal", "starter.schedule", "starter.simulation",
             "starter.templates", "starter.webhooks", "starter.importing", "starter.tasks"]

CLIENT = """\
import json, os, socket, struct, sys
conn = socket.socket(socket.AF_UNIX)
conn.connect(os.environ["RELANCE_TEST_FORK"])
request = json.dumps({"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}).encode()
socket.send_fds(conn, [struct.pack("!I", len(request)) + request], [0, 1, 2])
answer = b""
while chunk := conn.recv(64):
    answer += chunk
sys.exit(int(answer) if answer else 1)
"""


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    head, fds, _, _ = socket.recv_fds(conn, 65536, 3)
    size = struct.unpack("!I", head[:4])[0]
    body = head[4:]
    while len(body) < size:
        body += conn.recv(size - len(body))
    return json.loads(body), fds


def _command(request: dict, fds: list[int]) -> None:
    """In the forked child: become the command, as the `relance` script would start it."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.argv = ["relance", *request["argv"]]
    os._exit(_as_the_interpreter_ends(request["argv"]))


def _as_the_interpreter_ends(argv: list[str]) -> int:
    """Run the entry point (which ends the process itself when it returns); an exception escaping it
    is printed and its status returned as the interpreter would at exit."""
    from relance.cli.main import main

    try:
        main(argv)
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        if not isinstance(exc.code, int | None):
            print(exc.code, file=sys.stderr)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        status = 1
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    return status


def _serve_one(conn: socket.socket, listener: socket.socket) -> None:
    """In a forked child of the server: run the command in a grandchild, answer its exit code."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    listener.close()
    request, fds = _receive(conn)
    child = os.fork()
    if child == 0:
        conn.close()
        try:
            _command(request, fds)
        finally:
            os._exit(1)
    for fd in fds:
        os.close(fd)
    _, status = os.waitpid(child, 0)
    conn.sendall(str(os.waitstatus_to_exitcode(status)).encode())
    os._exit(0)


def serve(path: str) -> None:
    """Import the libraries, then fork for each connection (one command each)."""
    import importlib

    for name in PRELOADED:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, lambda *_: _reap())
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)
    while True:
        try:
            conn, _ = listener.accept()
        except InterruptedError:
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            _serve_one(conn, listener)
        conn.close()


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


class Forkserver:
    """The server of this test process, started at its first command and stopped with the session."""

    _lock = threading.Lock()
    _process: subprocess.Popen | None = None
    _directory: Path | None = None

    @classmethod
    def path(cls) -> str:
        with cls._lock:
            if cls._process is None or cls._process.poll() is not None:
                cls._directory = Path(tempfile.mkdtemp(prefix="relance-fork-"))
                socket_path = str(cls._directory / "socket")
                cls._process = subprocess.Popen([sys.executable, "-m", "tests.cli_fork", socket_path],
                                                stdout=subprocess.PIPE, text=True,
                                                cwd=Path(__file__).resolve().parent.parent)
                assert cls._process.stdout.readline().strip() == "ready", "the test forkserver did not start"
                (cls._directory / "relance").write_text(f"#!{sys.executable} -IS\n{CLIENT}")
                (cls._directory / "relance").chmod(0o755)
            return str(cls._directory / "socket")

    @classmethod
    def stop(cls) -> None:
        with cls._lock:
            if cls._process is not None:
                cls._process.kill()
                cls._process.wait()
                cls._process = None
                shutil.rmtree(cls._directory, ignore_errors=True)


def shim_directory(env: dict[str, str]) -> str:
    """A directory with an executable `relance` that runs through the server; `env` learns where it is."""
    env["RELANCE_TEST_FORK"] = Forkserver.path()
    return str(Path(env["RELANCE_TEST_FORK"]).parent)


def run(args: list[str], env: dict[str, str], cwd: str | os.PathLike | None = None, input: str | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess:
    """`relance *args` with this environment, its output captured, like `subprocess.run(…, text=True)`."""
    env = {**env, "RELANCE_TEST_FORK": Forkserver.path()}
    client = [sys.executable, "-I", "-S", "-c", CLIENT, *args]
    return subprocess.run(client, env=env, cwd=cwd, input=input, capture_output=True, text=True, timeout=timeout)


if __name__ == "__main__":
    serve(sys.argv[1])
