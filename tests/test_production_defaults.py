"""Outside `relance up` and the tests, no service starts with a secret anyone can read: the API and the
worker refuse the README's unsubscribe and session secrets, the codec server refuses to run without a
token; each says so in one sentence naming the variable (issue 28)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from relance.config import ConfigError, Settings

COMPOSE = Path(__file__).parent.parent / "docker-compose.yml"
STRONG = "k3Jq9V0mWc2yR5tB8nX1pL4sH7dF6gA0"


def production_env(**variables: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if name not in ("RELANCE_LOCAL_STACK", "RELANCE_UNSUBSCRIBE_SECRET", "RELANCE_WEB_SECRET",
                           "RELANCE_CODEC_TOKEN")}
    return {**env, "RELANCE_TEMPORAL_ADDRESS": "127.0.0.1:1", **variables}


def start(command: str, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "relance.cli", command], env=production_env(**variables),
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("command", "variables", "named"), [
    ("api", {}, "RELANCE_UNSUBSCRIBE_SECRET"),
    ("worker", {}, "RELANCE_UNSUBSCRIBE_SECRET"),
    ("api", {"RELANCE_UNSUBSCRIBE_SECRET": STRONG}, "RELANCE_WEB_SECRET"),
    ("worker", {"RELANCE_UNSUBSCRIBE_SECRET": STRONG, "RELANCE_WEB_SECRET": "short"}, "RELANCE_WEB_SECRET"),
    ("codec-server", {"RELANCE_CODEC_KEYS": "k1:" + "A" * 43 + "="}, "RELANCE_CODEC_TOKEN"),
])
@pytest.mark.slow
def test_a_service_refuses_to_start_with_a_public_or_missing_secret(command, variables, named):
    result = start(command, **variables)
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"relance {command}: {named} is ") and "Traceback" not in result.stderr
    print(line)


def test_own_secrets_and_a_token_are_accepted_and_the_local_stack_keeps_its_defaults():
    own = Settings(unsubscribe_secret=STRONG, web_secret=STRONG[::-1], codec_token=STRONG, local_stack=False)
    own.refuse_unsafe()
    own.refuse_unsafe(codec_server=True)
    Settings(local_stack=True).refuse_unsafe(codec_server=True)
    with pytest.raises(ConfigError, match="RELANCE_UNSUBSCRIBE_SECRET is the public default"):
        Settings(local_stack=False).refuse_unsafe()


def test_compose_requires_the_secrets_and_keeps_the_codec_server_on_loopback():
    compose = yaml.safe_load(COMPOSE.read_text())
    environment = compose["x-relance-environment"]
    for name in ("RELANCE_UNSUBSCRIBE_SECRET", "RELANCE_WEB_SECRET"):
        assert environment[name].startswith(f"${{{name}:?"), name  # compose stops, naming it, when unset
    assert "RELANCE_LOCAL_STACK" not in environment
    published = [port for service in compose["services"].values() for port in service.get("ports", [])]
    assert [port for port in published if port.endswith(":8081")] == ["127.0.0.1:8081:8081"]


def test_a_service_without_codec_keys_says_that_webhook_secrets_are_stored_in_clear():
    api = subprocess.Popen([sys.executable, "-m", "relance.cli", "api"], stderr=subprocess.PIPE, text=True,
                           env=production_env(RELANCE_UNSUBSCRIBE_SECRET=STRONG, RELANCE_WEB_SECRET=STRONG[::-1],
                                              RELANCE_CODEC_KEYS="", RELANCE_LOG_FORMAT="json"))
    try:
        first_line = api.stderr.readline()  # said before anything else, then the API goes on
    finally:
        api.kill()
        api.wait(timeout=30)
    assert "RELANCE_CODEC_KEYS is empty, so webhook secrets are stored in clear" in first_line
    assert Settings(codec_keys="k1:" + "A" * 43 + "=", local_stack=False).cautions() == []
    assert Settings(local_stack=True).cautions() == []
