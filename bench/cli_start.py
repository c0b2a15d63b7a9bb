"""How fast `relance` answers a person: the median wall time of `relance --help` and of a cheap command
(`relance codec-key`, which reaches no service), over 10 runs each, each in a fresh interpreter as a shell
starts it. Run with `python -m bench.cli_start`; it prints the figures (the machine's load counts: note it)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

RUNS = 10
COMMANDS = {"relance --help": ["--help"], "relance codec-key": ["codec-key"]}


def wall_time(args: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "relance.cli", *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.2f}; median of {RUNS} runs each")
    for name, args in COMMANDS.items():
        times = [wall_time(args) for _ in range(RUNS)]
        print(f"  {name:20} {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})")


if __name__ == "__main__":
    main()
