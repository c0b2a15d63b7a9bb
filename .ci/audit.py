"""`make audit`: pip-audit over the dependencies installed in .venv (what `make install` resolved from
pyproject.toml), against PyPI's vulnerability data.

A known vulnerability fails (exit 1), listed with the versions that fix it; one reviewed and accepted
goes in AUDIT_IGNORE (space-separated ids). PyPI out of reach or too slow is a note, never a failure:
CI must not turn red because the network is absent. So is a dependency the index cannot look up
(a mirror that lacks it): it is named as not audited, never counted as safe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

SERVICE = "https://pypi.org/pypi/pip/json"
REACH_SECONDS = 10
AUDIT_SECONDS = 300


def note(message: str) -> int:
    print(f"make audit: {message}", flush=True)
    return 0


def reachable() -> str | None:
    """None if PyPI's JSON API answers, else why not."""
    try:
        with urllib.request.urlopen(SERVICE, timeout=REACH_SECONDS) as answer:
            return None if answer.status == 200 else f"HTTP {answer.status}"
    except OSError as exc:
        return str(exc)[:200]


def main() -> int:
    if (why := reachable()) is not None:
        return note(f"skipped: PyPI's vulnerability data is out of reach ({why}); nothing was audited")
    pip_audit = Path(sys.executable).parent / "pip-audit"
    if not pip_audit.exists():
        print(f"make audit: {pip_audit} is missing: install the audit extra (pip install -e '.[audit]')")
        return 2
    ignored = [arg for vuln in os.environ.get("AUDIT_IGNORE", "").split() for arg in ("--ignore-vuln", vuln)]
    command = [str(pip_audit), "--skip-editable", "--progress-spinner", "off", "--format", "json", *ignored]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=AUDIT_SECONDS)
    except subprocess.TimeoutExpired:
        return note(f"skipped: pip-audit took more than {AUDIT_SECONDS} s (PyPI too slow); nothing was audited")
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        return note(f"skipped: pip-audit did not finish ({run.stderr.strip()[-300:]}); nothing was audited")
    dependencies = report["dependencies"]
    skipped = [d["name"] for d in dependencies if "skip_reason" in d]
    vulnerable = [(d, v) for d in dependencies for v in d.get("vulns", [])]
    audited = len(dependencies) - len(skipped)
    print(f"make audit: {audited} of {len(dependencies)} installed dependencies audited, "
          f"{len(vulnerable)} known vulnerabilit{'y' if len(vulnerable) == 1 else 'ies'}"
          + (f" (ignored: {' '.join(os.environ['AUDIT_IGNORE'].split())})" if ignored else ""))
    if skipped:
        print(f"  not audited (the index could not look them up): {', '.join(skipped)}")
    for dependency, vuln in vulnerable:
        fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
        print(f"  {dependency['name']} {dependency['version']}: {vuln['id']} "
              f"({', '.join(vuln.get('aliases', [])) or 'no alias'}); fixed in {fixed}")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
