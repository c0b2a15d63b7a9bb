"""docker-compose.yml, for users who have Docker: valid against the compose specification, and its
environment speaks only the settings the code reads."""

import os
import re
import subprocess
import sysconfig
from pathlib import Path

import yaml

from relance.temporal import search_attributes

ROOT = Path(__file__).parent.parent
COMPOSE = ROOT / "docker-compose.yml"


def test_compose_file_is_valid_against_the_compose_spec():
    checker = os.path.join(sysconfig.get_path("scripts"), "check-jsonschema")
    result = subprocess.run([checker, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_environment_matches_the_settings_the_code_reads():
    read = set(re.findall(r'_(?:env|number)\("([A-Z_]+)"', (ROOT / "relance" / "config.py").read_text()))
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    for name in ("worker", "migrate", "codec-server"):
        names = {k for k in services[name]["environment"] if k != "<<"}
        unknown = {k for k in names if k.startswith("RELANCE_") or k == "AWS_REGION"} - read
        assert unknown == set(), f"{name}: settings the code never reads: {unknown}"
        assert {"RELANCE_DATABASE_URL", "RELANCE_TEMPORAL_ADDRESS", "RELANCE_SES_ENDPOINT"} <= names


def test_compose_registers_every_search_attribute_of_the_code():
    text = COMPOSE.read_text()
    kinds = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "BOOL": "Bool", "KEYWORD_LIST": "KeywordList"}
    for key in search_attributes.ALL:
        kind = kinds[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]
        assert f"{key.name}={kind}" in text, key.name
