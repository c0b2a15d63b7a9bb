"""An import file is hostile: its templates cannot stall the API, its YAML cannot expand without end, and
while one is processed every other request goes on."""

from __future__ import annotations

import asyncio
import time

import pytest
import yaml

from tests import factories as f

SILENT_LOOPS = "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}" \
               "{% endfor %}{% endfor %}{% endfor %}"


def _with_template(api, body: str, key: str = "slow") -> dict:
    template = {"key": key, "name": "Slow", "subject": "s", "body": body}
    return {"organisations": [api.stack.org(templates=[*f.TEMPLATES, template])]}


@pytest.mark.parametrize(("body", "reason"), [
    (SILENT_LOOPS, "runs for more than 1 s"),
    ("{% for i in range(10**9) %}{% endfor %}", "range() of 1,000,000,000 items; at most 10,000"),
    ("{% set x = [] %}{% for i in range(3) %}{{ x.append(i) }}{% endfor %}", "access to attribute 'append'"),
])
async def test_a_template_that_would_stall_or_grow_is_refused_naming_it(api, body, reason):
    await api.post("/v1/imports", {})  # the first import starts the process imports are forked from
    began = time.monotonic()
    answer = await api.post("/v1/imports", _with_template(api, body))
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error.startswith(f"organisation {api.stack.slug!r} › template 'slow' › fails to render: body: ")
    assert reason in error
    assert time.monotonic() - began < 15


async def test_healthz_answers_while_an_import_is_processed(api):
    """Five templates that each loop for their whole second: the import takes seconds, off the event loop."""
    slow = [{"key": f"slow{i}", "name": "Slow", "subject": "s", "body": SILENT_LOOPS} for i in range(5)]
    importing = asyncio.create_task(api.post("/v1/imports", {"organisations": [
        api.stack.org(templates=[*f.TEMPLATES, *slow])]}))
    await asyncio.sleep(0.5)
    health = await api.http.get("/healthz")
    assert health.status_code == 200
    assert not importing.done()
    again = await api.post("/v1/imports", {"organisations": [api.stack.org()]})
    assert again.status_code == 429 and "already under way" in again.json()["detail"]
    answer = await importing
    assert answer.status_code == 422
    assert len(answer.json()["errors"]) == 5  # the request's time for templates ran out: each is named


async def test_a_yaml_alias_bomb_is_refused_at_once(api):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
    began = time.monotonic()
    answer = await api.http.post("/v1/imports", content="\n".join(lines).encode(), headers={
        **api.auth(), "content-type": "application/yaml"})
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error.startswith("not valid YAML: aliases repeat more than 100,000 values (an alias bomb?)")
    assert time.monotonic() - began < 5


async def test_a_yaml_file_with_anchors_and_merge_keys_is_read_as_before(dev_api):
    api = dev_api
    organisation = api.stack.org()
    organisation.pop("accounts")
    yaml_text = yaml.safe_dump({"organisations": [organisation]}, allow_unicode=True) + """\
  accounts:
  - ref: C1
    name: Dupont
    contacts:
    - &first {civility: Mme, last_name: Lee, billing: true, ref: C1-a, email: a@dupont.example.org}
    - {<<: *first, ref: C1-b, email: b@dupont.example.org, civility: M.}
"""
    answer = await api.http.post("/v1/imports", content=yaml_text.encode(), headers={
        **api.auth(), "content-type": "application/yaml"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["counts"]["contacts"] == 2
