"""What the local SES endpoint (relance/local/ses_server.py) spends on one email as SES's events pile up
in its queue, as they do between two of relance's drains: batches of sends with the configuration set
(each queues a Send and a Delivery event), the endpoint process's CPU per send in each batch, then per
event as they are all drained (received and deleted ten at a time, as relance.email.events does). The
endpoint shares the machine's cores with the worker in the bench and the tests. Run with
`python -m bench.ses_endpoint [--batches 4] [--sends 500]`; it prints the figures and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import tempfile
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlencode

import psutil

from bench import data
from bench.measure import cpu_seconds
from bench.stack import free_port
from relance.config import Settings
from relance.email.mailer import SesMailer
from relance.local import ses as local_ses
from relance.local.ses import LocalSes

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _send(settings: Settings, to: str, tag: str) -> None:
    """SendRawEmail as SES's query API takes it, with the configuration set and a message tag as relance's
    mailer writes them. Plain HTTP: the endpoint reads the service from the credential scope and checks
    no signature, and relance's mailer is the send-once ledger's alone (tests/email/test_ledger.py)."""
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = data.SENDER, to, "Facture F-1"
    email["X-SES-CONFIGURATION-SET"], email["X-SES-MESSAGE-TAGS"] = settings.ses_configuration_set, f"k={tag}"
    email.set_content("Bonjour,\n\nla facture F-1 est échue.\n")
    form = urlencode({"Action": "SendRawEmail", "Version": "2010-12-01",
                      "RawMessage.Data": base64.b64encode(email.as_bytes()).decode()})
    scope = f"AWS4-HMAC-SHA256 Credential=local/20260101/{settings.aws_region}/ses/aws4_request, SignedHeaders=host, " \
            "Signature=0"
    request = urllib.request.Request(settings.ses_endpoint, data=form.encode(), headers={
        "Authorization": scope, "Content-Type": "application/x-www-form-urlencoded"})
    with OPENER.open(request, timeout=10) as answer:
        answer.read()


def _drained(settings: Settings, url: str, endpoint: psutil.Process, queued: int) -> None:
    """Every queued event received and deleted as relance's drain does (10 at a time)."""
    sqs = local_ses.client(settings.ses_endpoint, "sqs", settings.aws_region)
    before, left = cpu_seconds(endpoint), queued
    while left:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(messages)])
        left -= len(messages)
    print(f"  drained {queued} events: {(cpu_seconds(endpoint) - before) * 1000 / queued:5.2f} ms an event")


async def main(batches: int, sends: int) -> None:
    with tempfile.TemporaryDirectory() as home:
        ses = LocalSes(port=free_port(), log_file=Path(home) / "ses.log")
        ses.start()
        try:
            settings = Settings(ses_endpoint=ses.endpoint)
            queue = local_ses.provision_events(ses.endpoint, settings.ses_configuration_set)
            mailer = SesMailer(settings)
            await mailer.verify(data.SENDER)
            endpoint = psutil.Process(ses._process.pid)  # as bench.stack reads it
            print(f"load average {os.getloadavg()[0]:.2f}; the endpoint's CPU per send, {sends} sends a batch")
            for batch in range(batches):
                before = cpu_seconds(endpoint)
                for i in range(sends):
                    _send(settings, f"c{i}@example.org", f"k{batch}-{i}")
                spent = (cpu_seconds(endpoint) - before) * 1000 / sends
                print(f"  {batch * sends * 2:6} events queued before: {spent:5.2f} ms a send")
            _drained(settings, queue, endpoint, batches * sends * 2)
        finally:
            ses.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.ses_endpoint", description=__doc__)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--sends", type=int, default=500, help="sends per batch")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.batches, arguments.sends))
