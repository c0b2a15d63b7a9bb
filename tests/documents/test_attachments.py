"""A reminder that carries the invoice's document, copies, a payment link, in the customer's language:
read back from what the local SES endpoint received."""

from __future__ import annotations

from email import message_from_string, policy

from relance.documents.library import NewDocument
from relance.documents.storage import DocumentStore
from relance.local import ses as local_ses
from starter import documents
from tests import factories as f
from tests.documents.conftest import PDF, docx

ATTACHING = [{"kind": "email", "label": "Relance", "offset_days": 10, "template": "first", "attach_invoice": True}]


async def test_the_invoices_documents_reach_ses_as_attachments_with_their_bytes_intact(stack, settings):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(ATTACHING, invoices=[f.invoice()]))
    await documents.add_bytes(settings, stack.db, stack.slug, NewDocument(PDF, "Facture F-1 été.pdf", "F-1"))
    contract = docx()
    await documents.add_bytes(settings, stack.db, stack.slug, NewDocument(contract, "contrat", "F-1", "contract"))
    await (await stack.start()).result()

    [message] = stack.sent()
    mime = message_from_string(message["raw"], policy=policy.default)
    assert mime.get_content_type() == "multipart/mixed"
    assert "filename*=utf-8''Facture%20F-1%20%C3%A9t%C3%A9.pdf" in message["raw"].replace("\n ", " ")
    parts = list(mime.iter_attachments())
    assert [(p.get_filename(), p.get_content_type(), p.get_content()) for p in parts] == [
        ("Facture F-1 été.pdf", "application/pdf", PDF),
        ("contrat.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", contract),
    ]
    assert "reste dû" in message["text"]  # the body is still there, as text and HTML
    assert [e.outcome for e in await stack.emails()] == ["sent"]


async def test_a_step_that_does_not_say_so_attaches_nothing(stack, settings):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(f.ONE_REMINDER, invoices=[f.invoice()]))
    await documents.add_bytes(settings, stack.db, stack.slug, NewDocument(PDF, "f.pdf", "F-1"))
    await (await stack.start()).result()
    [message] = stack.sent()
    assert message["attachments"] == []


async def test_the_accounts_copies_and_the_payment_link(stack):
    await stack.mailer.verify(f.SENDER)
    template = {"key": "first", "name": "Relance", "subject": "Facture [[!Number]]",
                "body": "Reste dû : [[!AmountDue]]. Payez en ligne : [[!PaymentUrl]]."}
    accounts = [{**f.BASE_ORG["accounts"][0], "cc": ["compta@dupont.example.org", "dg@dupont.example.org"]}]
    url = "https://pay.example.com/i/F-1?t=a&b=O'Neil"
    await stack.load(stack.org(f.ONE_REMINDER, templates=[template], accounts=accounts,
                               invoices=[f.invoice(payment_url=url)]))
    await (await stack.start()).result()

    [message] = stack.sent()
    assert message["destinations"]["to"] == ["billing@dupont.example.org"]
    assert message["destinations"]["cc"] == ["compta@dupont.example.org", "dg@dupont.example.org"]
    [raw] = [m for m in local_ses.sent_messages(stack.ses_endpoint) if m["raw"]]
    assert "Cc: compta@dupont.example.org, dg@dupont.example.org" in raw["raw"]
    escaped = "https://pay.example.com/i/F-1?t=a&amp;b=O&#39;Neil"
    assert f'<a href="{escaped}">{escaped}</a>.' in message["html"]  # the full stop is the sentence's
    assert f"Payez en ligne : {url}." in message["text"]  # the text part keeps the plain URL


async def test_a_document_storage_lost_is_recorded_not_sent_with_its_key(stack, settings):
    await stack.mailer.verify(f.SENDER)
    await stack.load(stack.org(ATTACHING, invoices=[f.invoice()]))
    document = await documents.add_bytes(settings, stack.db, stack.slug, NewDocument(PDF, "f.pdf", "F-1", "f1-pdf"))
    store = DocumentStore(settings)
    await store.delete(document.storage_key)  # as a local endpoint that restarted
    await (await stack.start()).result()
    assert stack.sent() == []
    [event] = await stack.emails(outcome="not_sent")
    assert event.reason == "attachment_missing"
    assert "document 'f1-pdf' (f.pdf) is no longer in storage" in event.subject
