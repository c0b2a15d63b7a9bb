"""Documents are checked when they arrive (type from the bytes, size, an invoice's total), fetched from
public addresses only, and refused with the field named and nothing stored."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest
from sqlmodel import select

from models import Document
from relance import limits
from relance.documents.library import NewDocument
from relance.importing.importer import ImportRejected
from starter import documents
from tests import factories as f
from tests.documents.conftest import PDF, docx, odt


def stored_objects(settings) -> list[str]:
    s3 = boto3.client("s3", endpoint_url=settings.storage_endpoint, region_name=settings.aws_region,
                      aws_access_key_id="local", aws_secret_access_key="local")
    try:
        return [o["Key"] for o in s3.list_objects_v2(Bucket=settings.documents_bucket).get("Contents", [])]
    except s3.exceptions.NoSuchBucket:
        return []


async def rows(db) -> list[Document]:
    async with db.session() as session:
        return list((await session.exec(select(Document))).all())


@pytest.fixture
async def org(stack):
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    return stack.slug


@pytest.mark.parametrize(("data", "content_type", "filename"), [
    (PDF, "application/pdf", "f.pdf"), (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png", "scan.png"),
    (b"\xff\xd8\xff\xe0" + b"\0" * 64, "image/jpeg", "scan.jpg"),
    (odt(), "application/vnd.oasis.opendocument.text", "scan.odt"),
    (docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "scan.docx"),
], ids=["pdf", "png", "jpeg", "odt", "docx"])
async def test_the_type_comes_from_the_bytes(stack, settings, org, data, content_type, filename):
    # Named .txt, sent as anything: the bytes decide, and the name gets the type's extension.
    document = await documents.add_bytes(settings, stack.db, org, NewDocument(data, "scan.txt", "F-1"))
    assert (document.content_type, document.size) == (content_type, len(data))
    assert document.filename == f"scan.txt.{filename.rsplit('.', 1)[1]}"


@pytest.mark.parametrize(("data", "field", "says"), [
    (b"MZ\x90\x00 an executable named invoice.pdf", "field file", "is not a document relance attaches"),
    (b"<html><script>alert(1)</script></html>", "field file", "PDF, PNG, JPEG"),
    (b"PK\x03\x04 not really a zip", "field file", "is not a document"),
    (b"", "field file", "is empty"),
    (b"%PDF-" + b"\0" * limits.MAX_DOCUMENT_BYTES, "field file", "over the limit of 5.0 MB per document"),
], ids=["exe", "html", "broken-zip", "empty", "too-large"])
async def test_a_wrong_type_or_size_is_refused_naming_the_field_and_nothing_is_stored(
        stack, settings, org, data, field, says):
    before = stored_objects(settings)
    with pytest.raises(limits.Refused) as refused:
        await documents.add_bytes(settings, stack.db, org, NewDocument(data, "invoice.pdf", "F-1"))
    assert f"organisation {org!r} › document: {field}" in str(refused.value)
    assert says in str(refused.value)
    assert await rows(stack.db) == []
    assert stored_objects(settings) == before


async def test_an_invoices_documents_together_stay_within_one_email(stack, settings, org):
    four_mb = b"%PDF-" + b"\0" * (4 * 1024 * 1024)
    await documents.add_bytes(settings, stack.db, org, NewDocument(four_mb, "a.pdf", "F-1"))
    with pytest.raises(limits.Refused,
                       match="field file would bring the documents of invoice 'F-1' to 8.0 MB, over 6.0 MB"):
        await documents.add_bytes(settings, stack.db, org, NewDocument(four_mb, "b.pdf", "F-1"))
    assert len(await rows(stack.db)) == 1
    # Not on an invoice: no email attaches it with the others.
    await documents.add_bytes(settings, stack.db, org, NewDocument(four_mb, "form.pdf", key="form"))


async def test_an_unknown_invoice_or_a_taken_key_is_refused(stack, settings, org):
    with pytest.raises(limits.Refused, match="field invoice 'F-404' is no invoice of the organisation"):
        await documents.add_bytes(settings, stack.db, org, NewDocument(PDF, "a.pdf", "F-404"))
    await documents.add_bytes(settings, stack.db, org, NewDocument(PDF, "a.pdf", key="cgv"))
    with pytest.raises(limits.Refused, match="field key 'cgv' is taken"):
        await documents.add_bytes(settings, stack.db, org, NewDocument(PDF, "b.pdf", key="cgv"))


@pytest.mark.parametrize(("url", "says"), [
    ("http://127.0.0.1:9/invoice.pdf", "127.0.0.1 is not a public address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is not a public address"),
    ("http://[::1]/x.pdf", "::1 is not a public address"),
    ("http://2130706433/x.pdf", "2130706433 is 127.0.0.1, not a public address"),
    ("http://10.0.0.1/x.pdf", "10.0.0.1 is not a public address"),
    ("file:///etc/passwd", "must start with http:// or https://"),
])
async def test_a_url_to_an_internal_address_is_refused(stack, settings, org, url, says):
    no_exception = replace(settings, outbound_allow="")  # the operator admits no internal host
    with pytest.raises(limits.Refused) as refused:
        await documents.add_from_url(no_exception, stack.db, org, url, invoice="F-1")
    assert str(refused.value).startswith(f"organisation {org!r} › document: field url {url!r}")
    assert says in str(refused.value)
    assert await rows(stack.db) == []


async def test_a_redirect_to_an_internal_address_is_refused(stack, settings, org, served):
    allowed = replace(settings, outbound_allow=served.allow)  # the test's own server, and it only
    served.paths["/pdf"] = PDF
    served.paths["/meta"] = "http://169.254.169.254/latest/meta-data/"
    served.paths["/loop"] = "/loop"
    document = await documents.add_from_url(allowed, stack.db, org, f"{served.base}/pdf", invoice="F-1")
    assert (document.content_type, document.source_url, document.filename) == (
        "application/pdf", f"{served.base}/pdf", "pdf.pdf")
    with pytest.raises(limits.Refused, match="could not be fetched: refused: address not allowed"):
        await documents.add_from_url(allowed, stack.db, org, f"{served.base}/meta")
    with pytest.raises(limits.Refused, match="too many redirects"):
        await documents.add_from_url(allowed, stack.db, org, f"{served.base}/loop")
    served.paths["/big"] = b"%PDF-" + b"\0" * (limits.MAX_DOCUMENT_BYTES + 10)
    with pytest.raises(limits.Refused, match="the answer is larger than allowed|over the limit"):
        await documents.add_from_url(allowed, stack.db, org, f"{served.base}/big")
    assert len(await rows(stack.db)) == 1


async def test_an_import_fetches_an_invoices_document_by_url_once(stack, settings, served):
    allowed = replace(settings, outbound_allow=served.allow)
    served.paths["/F-1.pdf"] = PDF
    data = {"organisations": [stack.org(f.ONE_REMINDER, invoices=[f.invoice(document_url=f"{served.base}/F-1.pdf")])]}
    # As starter.importing.import_and_start does: fetch and check, write, keep.
    fetched = await documents.fetch_for_import(allowed, stack.db, data, "file")
    await f.load(stack.db, data["organisations"][0], await stack.today())
    await documents.keep_for_import(allowed, stack.db, fetched)
    del served.paths["/F-1.pdf"]
    assert await documents.fetch_for_import(allowed, stack.db, data, "file") == []  # a re-import fetches nothing
    [(document, number)] = await documents.listed(stack.db, stack.slug, "F-1")
    assert (number, document.filename, document.size) == ("F-1", "F-1.pdf", len(PDF))

    served.paths["/bad.pdf"] = b"MZ not a pdf"
    bad = {"organisations": [stack.org(f.ONE_REMINDER, invoices=[
        f.invoice("F-2", document_url=f"{served.base}/bad.pdf"),
        f.invoice("F-3", document_url="http://169.254.169.254/x.pdf")])]}
    with pytest.raises(ImportRejected) as rejected:
        await documents.fetch_for_import(allowed, stack.db, bad, "file")
    assert rejected.value.problems[0].startswith(
        f"organisation {stack.slug!r} › invoice 'F-2' › document_url: field file is not a document")
    assert rejected.value.problems[1].startswith(
        f"organisation {stack.slug!r} › invoice 'F-3' › document_url: field url")
