"""The local SES endpoint (relance/local/ses_server.py) answers what was sent without the rest of its
state: a test waiting for an email asks many times a second, and moto's full dump serializes every SQS
message and S3 object it holds."""

import json
import urllib.request

from relance.email.mailer import OutgoingEmail
from relance.local import ses as local_ses
from tests import factories as f


def _data(endpoint: str, query: str = "") -> dict:
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
            f"{endpoint}/moto-api/data.json{query}", timeout=10) as answer:
        return json.loads(answer.read())


async def test_the_sent_mail_is_read_alone_and_as_moto_gives_it(clean, settings, mailer, ses_endpoint):
    local_ses.provision_events(ses_endpoint, settings.ses_configuration_set)  # each send queues SES's events
    await mailer.verify(f.SENDER)
    for to in ("ann@example.org", "bob@example.org"):
        await mailer.send(OutgoingEmail(f.SENDER, "Claire", to, "Facture F-1", text="t", html="h"), tag="k")
    everything, alone = _data(ses_endpoint), _data(ses_endpoint, "?service=ses")
    assert everything["sqs"]["Message"], "the events went to SQS"
    assert alone == {"ses": everything["ses"]}
    assert [m["destinations"]["to"] for m in local_ses.sent_messages(ses_endpoint)] == [["ann@example.org"],
                                                                                       ["bob@example.org"]]
