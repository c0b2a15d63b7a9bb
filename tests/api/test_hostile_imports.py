"""An import file is hostile: its templates cannot stall the API, its YAML cannot expand without end, and
while one is processed every other request goes on."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import pytest
import yaml
from sqlmodel import select

from models import Account
from relance import limits
from relance.importing import guard
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


async def _has_account(api, ref: str) -> bool:
    async with api.stack.db.session() as session:
        return (await session.exec(select(Account).where(Account.ref == ref))).first() is not None


def _accounts(api, count: int) -> dict:
    return {"organisations": [{"slug": api.stack.slug, "accounts": [{"ref": f"A{i}", "name": "x"}
                                                                    for i in range(count)]}]}


async def test_a_file_past_the_size_limit_is_refused_before_it_is_read_whole(api):
    """Declared or sent chunked, a body past an import file's limit is a 413 naming the limit and
    advising to split the sync; nothing is written."""
    body = json.dumps(_accounts(api, 1)).encode().ljust(limits.MAX_FILE_BYTES + 1, b" ")
    declared = await api.http.post("/v1/imports", content=body, headers={
        **api.auth(), "content-type": "application/json"})

    async def chunks():
        for start in range(0, len(body), 64 * 1024):
            yield body[start:start + 64 * 1024]

    chunked = await api.http.post("/v1/imports", content=chunks(), headers={
        **api.auth(), "content-type": "application/json"})
    for answer in (declared, chunked):
        assert answer.status_code == 413, answer.text
        assert f"at most {limits.MAX_FILE_BYTES:,} bytes" in answer.json()["detail"]
        assert "split the sync into several files" in answer.json()["detail"]
    assert not await _has_account(api, "A0")


@pytest.mark.parametrize("as_yaml", [False, True])
async def test_too_many_records_or_too_deep_a_file_is_refused_at_once_naming_the_limit(api, as_yaml):
    many = _accounts(api, limits.MAX_FILE_RECORDS)
    nested: list = []
    for _ in range(limits.MAX_FILE_DEPTH):
        nested = [nested]
    deep = {"organisations": [{"slug": api.stack.slug, "name": "x", "pipeline": nested}]}
    await api.post("/v1/imports", {})  # the first import starts the process imports are forked from
    for document, expected in ((many, f"more than {limits.MAX_FILE_RECORDS:,} records"),
                               (deep, f"nested more than {limits.MAX_FILE_DEPTH} deep")):
        began = time.monotonic()
        if as_yaml:
            answer = await api.http.post("/v1/imports", content=yaml.safe_dump(document).encode(), headers={
                **api.auth(), "content-type": "application/yaml"})
        else:
            answer = await api.post("/v1/imports", document)
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["errors"]
        assert expected in error, error
        assert time.monotonic() - began < 30  # at the limit, not after reading and checking every record
    assert not await _has_account(api, "A0")


def test_an_import_past_its_memory_budget_ends_saying_why():
    """The guard every import runs under (the API's child process, `relance import`): past the budget
    the process ends with its own exit code and the reason, whatever was holding the memory."""
    program = ("from relance.importing import guard\n"
               "with guard.bounded(50 * 2**20):\n"
               "    held = [bytes([i % 256]) * 2**20 for i in range(400)]\n"
               "print('never')\n")
    ended = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert ended.returncode == guard.EXIT_CODE
    assert "needed more than 50 MB of memory, nothing was written: split the sync" in ended.stderr
    assert "never" not in ended.stdout
