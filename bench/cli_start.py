"""How fast `relance` answers a person: the median wall time of `relance --help` and of a cheap command
(`relance codec-key`, which reaches no service), over 10 runs each, each in a fresh interpreter as a shell
starts it, and the CPU time each took (user + system: what the machine's load barely changes). Run with
`python -m bench.cli_start`; it prints the figures and the load average they were taken under."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

RUNS = 10
COMMANDS = {"relance --help": ["--help"], "relance codec-key": ["codec-key"]}


def cpu_of_children() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run."""
    began, cpu = time.perf_counter(), cpu_of_children()
    subprocess.run([sys.executable, "-m", "relance.cli", *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began, cpu_of_children() - cpu


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.2f}; median of {RUNS} runs each")
    for name, args in COMMANDS.items():
        wall, cpu = zip(*(timed(args) for _ in range(RUNS)), strict=True)
        print(f"  {name:20} wall {statistics.median(wall):.3f} s (min {min(wall):.3f}, max {max(wall):.3f}), "
              f"CPU {statistics.median(cpu):.3f} s")


if __name__ == "__main__":
    main()
