"""The documentation site builds offline with no warning (every internal link and anchor resolves),
loads nothing from another host, and the README stays a front page."""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_the_site_builds_with_no_warning_and_loads_nothing_from_elsewhere(tmp_path):
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
                           cwd=ROOT, capture_output=True, text=True, timeout=300,
                           env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert built.returncode == 0, built.stdout + built.stderr
    assert "WARNING" not in built.stdout + built.stderr
    pages = list(tmp_path.rglob("*.html"))
    assert len(pages) >= 15
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', html), page


def test_every_page_is_in_the_navigation():
    nav = {next(iter(entry.values())) for entry in yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]}
    assert {page.name for page in (ROOT / "docs").glob("*.md")} <= nav


def test_the_readme_is_a_front_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count("\n") < 300
    for capability in ("Invoice dunning", "Contract renewal notices", "Marketing scenarios and email campaigns",
                       "Sales-pipeline automations", "booking agency"):
        assert capability in readme
    assert "make up" in readme and "make test" in readme
