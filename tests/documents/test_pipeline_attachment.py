"""Seed 004's "pièce jointe": the R2 email carries the administrative form as a real attachment."""

from __future__ import annotations

import copy

from relance.documents.library import NewDocument
from starter import documents
from tests.documents.conftest import PDF
from tests.pipeline.conftest import pipe  # noqa: F401 (the fixture)
from tests.pipeline.data import R2_EMAIL, WON_ADMIN


def attaching(keys: list[str]) -> dict:
    rule = copy.deepcopy(R2_EMAIL)
    rule["automations"][0]["attach"] = keys
    return rule


async def test_the_r2_email_attaches_the_form(pipe, settings):  # noqa: F811
    await pipe.load(rules=[WON_ADMIN, attaching(["fiche-r2"])])
    await documents.add_bytes(settings, pipe.stack.db, pipe.stack.slug,
                              NewDocument(PDF, "Fiche administrative.pdf", key="fiche-r2"))
    ack = await pipe.report("e1", stage="R2")
    assert [o.split(":")[0] for o in ack.outcomes] == ["r2-email #1 send_email"]
    [email] = pipe.stack.sent()
    assert [(a["filename"], a["content_type"], a["data"]) for a in email["attachments"]] == [
        ("Fiche administrative.pdf", "application/pdf", PDF)]


async def test_a_deleted_document_fails_the_automation_naming_it(pipe, settings):  # noqa: F811
    await pipe.load(rules=[WON_ADMIN, attaching(["gone"])])
    ack = await pipe.report("e1", stage="R2")
    assert "attach: no document 'gone' in the organisation" in " ".join(ack.outcomes)
    assert pipe.stack.sent() == []
