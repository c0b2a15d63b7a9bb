"""The local SES endpoint (relance/local/ses_server.py) answers what was sent without the rest of its
state: a test waiting for an email asks many times a second, and moto's full dump serializes every SQS
message and S3 object it holds."""

import json
import urllib.request

from relance.email.mailer import OutgoingEmail
from relance.local import ses as local_ses
from tests import factories as f

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _data(endpoint: str, query: str = "") -> dict:
    with OPENER.open(f"{endpoint}/moto-api/data.json{query}", timeout=10) as answer:
        return json.loads(answer.read())


async def _two_sent(settings, mailer, ses_endpoint) -> str:
    """Two emails sent with the configuration set, so each queues SES's events; the events' queue URL."""
    queue = local_ses.provision_events(ses_endpoint, settings.ses_configuration_set)
    await mailer.verify(f.SENDER)
    for to in ("ann@example.org", "bob@example.org"):
        await mailer.send(OutgoingEmail(f.SENDER, "Claire", to, "Facture F-1", text="t", html="h"), tag="k")
    return queue


async def test_the_sent_mail_is_read_alone_and_as_moto_gives_it(clean, settings, mailer, ses_endpoint):
    await _two_sent(settings, mailer, ses_endpoint)
    everything, alone = _data(ses_endpoint), _data(ses_endpoint, "?service=ses")
    assert everything["sqs"]["Message"], "the events went to SQS"
    assert alone == {"ses": everything["ses"]}
    assert [m["destinations"]["to"] for m in local_ses.sent_messages(ses_endpoint)] == [["ann@example.org"],
                                                                                       ["bob@example.org"]]


def _certificate(endpoint: str, url: str):
    """The certificate a SigningCertURL names, as the local endpoint serves it (moto's server picks the
    service from the credential scope of the Authorization header, which it does not check)."""
    from cryptography import x509

    region = url.split("/")[2].split(".")[1]
    scope = f"AWS4-HMAC-SHA256 Credential=local/20260101/{region}/sns/aws4_request, SignedHeaders=host, Signature=0"
    request = urllib.request.Request(f"{endpoint}/{url.rsplit('/', 1)[1]}", headers={"Authorization": scope})
    with OPENER.open(request, timeout=10) as answer:
        return x509.load_pem_x509_certificate(answer.read())


async def test_each_event_is_signed_and_one_certificate_verifies_them_all(clean, settings, mailer, ses_endpoint):
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    queue = await _two_sent(settings, mailer, ses_endpoint)
    sqs = local_ses.client(ses_endpoint, "sqs", settings.aws_region)
    notes = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]]
    assert sorted(json.loads(n["Message"])["eventType"] for n in notes) == ["Delivery", "Delivery", "Send", "Send"]
    assert len({n["SigningCertURL"] for n in notes}) == 1, "one certificate signs every message"
    key = _certificate(ses_endpoint, notes[0]["SigningCertURL"]).public_key()
    for note in notes:
        signed = "".join(f"{name}\n{note[name]}\n" for name in ("Message", "MessageId", "Timestamp", "TopicArn",
                                                                 "Type"))
        key.verify(base64.b64decode(note["Signature"]), signed.encode(), padding.PKCS1v15(), hashes.SHA256())


async def test_the_events_queue_counts_receives_and_deletes_as_sqs_does(clean, settings, mailer, ses_endpoint):
    """The endpoint reads a queue's attributes one at a time, lists the visible messages against one
    reading of the clock and finds a receipt's message through an index (moto built every attribute and
    walked the whole queue for each); what a drain sees is still SQS's."""
    queue = await _two_sent(settings, mailer, ses_endpoint)
    sqs = local_ses.client(ses_endpoint, "sqs", settings.aws_region)

    def counts() -> tuple[str, str, str]:
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        assert {"QueueArn", "CreatedTimestamp", "VisibilityTimeout", "SqsManagedSseEnabled"} <= attributes.keys()
        assert "RedrivePolicy" not in attributes and attributes["SqsManagedSseEnabled"] == "true"
        return tuple(attributes[f"ApproximateNumberOfMessages{kind}"] for kind in ("", "NotVisible", "Delayed"))

    def delete(*handles: str) -> list[str]:
        answer = sqs.delete_message_batch(QueueUrl=queue, Entries=[{"Id": str(i), "ReceiptHandle": handle}
                                                                   for i, handle in enumerate(handles)])
        return [failed["Code"] for failed in answer.get("Failed", [])]

    assert counts() == ("4", "0", "0")
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=3, VisibilityTimeout=60)["Messages"]
    assert counts() == ("1", "3", "0")
    assert sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"] == {"ApproximateNumberOfMessages": "1"}
    assert delete(received[0]["ReceiptHandle"], received[1]["ReceiptHandle"]) == []
    assert counts() == ("1", "1", "0")
    assert delete(received[0]["ReceiptHandle"]) == []  # deleted twice: SQS does not mind
    assert delete("not-a-receipt-handle") == ["ReceiptHandleIsInvalid"]
    [last] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert last["MessageId"] not in {m["MessageId"] for m in received}
    assert delete(last["ReceiptHandle"], received[2]["ReceiptHandle"]) == [] and counts() == ("0", "0", "0")
