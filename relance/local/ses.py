"""Local SES: moto's server mode (the `moto[server]` wheel), so mail is "sent" without AWS and can be inspected.

SES event publishing (configuration set -> SNS topic -> SQS queue) is provisioned here as it is in
AWS, and relance/local/ses_server.py publishes the events moto leaves out. moto keeps everything in
memory (a restart starts empty) and runs in its own process, so tests and the CLI read what it
accepted over HTTP (/moto-api/data.json?service=ses, relance/local/ses_server.py), never through moto's
in-process backends.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from email import message_from_string, policy
from email.utils import getaddresses, parseaddr
from pathlib import Path

from relance.local import process

READY_TIMEOUT_SECONDS = 30.0
# The endpoint is local: an HTTP(S)_PROXY from the environment must not intercept it.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str, method: str = "GET", timeout: float = 10) -> bytes:
    with _OPENER.open(urllib.request.Request(url, method=method), timeout=timeout) as response:
        return response.read()


def accepted(endpoint: str, timeout: float = 10) -> dict:
    """What the endpoint accepted, in moto's layout ({"Message": [...], "RawMessage": [...]}): the SES
    models alone (relance/local/ses_server.py), not every service's."""
    return json.loads(_get(f"{endpoint}/moto-api/data.json?service=ses", timeout=timeout)).get("ses", {})


def _answers(endpoint: str) -> bool:
    try:
        _get(f"{endpoint}/moto-api/")
    except OSError:
        return False
    return True


@dataclass
class LocalSes:
    port: int = 4579
    host: str = "127.0.0.1"
    log_file: Path | None = None
    _process: subprocess.Popen | None = field(default=None, init=False, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        """Start moto_server and wait until it answers HTTP (no-op if this launcher already runs it)."""
        if self.is_running():
            return
        if _answers(self.endpoint):
            raise RuntimeError(f"{self.endpoint} already answers: another local SES is running on that port")
        # moto with SES event publishing (relance/local/ses_server.py), in this interpreter (the venv's).
        self._process = process.spawn([sys.executable, "-m", "relance.local.ses_server", "-H", self.host,
                                       "-p", str(self.port)], self.log_file)
        see = f"; see {self.log_file}" if self.log_file else ""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not _answers(self.endpoint):
            if self._process.poll() is not None:
                raise RuntimeError(f"moto_server exited with code {self._process.returncode}{see}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"moto_server did not answer on {self.endpoint} within {READY_TIMEOUT_SECONDS:.0f} s{see}")
            time.sleep(0.1)

    def is_running(self) -> bool:
        return process.running(self._process)

    def stop(self) -> None:
        process.stop(self._process)


EVENTS_QUEUE = "relance-ses-events"


def client(endpoint: str, service: str, region: str = "eu-west-1"):
    """A boto3 client of one of the local endpoint's services (ses, sns, sqs, s3): it takes any credentials."""
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name=region, aws_access_key_id="local",
                        aws_secret_access_key="local")


def provision_events(endpoint: str, configuration_set: str, region: str = "eu-west-1") -> str:
    """The production wiring, on the local endpoint: a configuration set whose event destination is an
    SNS topic, and the SQS queue subscribed to it. Idempotent; returns the queue's URL."""
    ses, sns, sqs = (client(endpoint, name, region) for name in ("ses", "sns", "sqs"))
    queue_url = sqs.create_queue(QueueName=EVENTS_QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = sns.create_topic(Name=EVENTS_QUEUE)["TopicArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    existing = {c["Name"] for c in ses.list_configuration_sets().get("ConfigurationSets", [])}
    if configuration_set not in existing:
        ses.create_configuration_set(ConfigurationSet={"Name": configuration_set})
        ses.create_configuration_set_event_destination(ConfigurationSetName=configuration_set, EventDestination={
            "Name": f"{configuration_set}-sns", "Enabled": True,
            "MatchingEventTypes": ["send", "reject", "bounce", "complaint", "delivery"],
            "SNSDestination": {"TopicARN": topic_arn}})
    return queue_url


def reset(endpoint: str) -> None:
    """Forget every identity and message (all moto state), e.g. between tests."""
    _get(f"{endpoint}/moto-api/reset", method="POST")


def sent_messages(endpoint: str) -> list[dict]:
    """Emails the endpoint accepted (rejected ones are absent): SendEmail ones, then SendRawEmail ones,
    each oldest first.

    Each: message_id, source, destinations {to, cc, bcc}, subject, body, text, html, list_unsubscribe
    (the List-Unsubscribe header of a raw message: marketing email carries one), attachments (filename,
    content_type and data, the bytes decoded) and raw (the MIME of a raw message, as the endpoint
    received it).
    moto tracks models globally, so messages from every region and account come back together.
    For SendEmail moto keeps a single body, the HTML part when there was one, else the text part:
    that is `body`, and text/html stay None. For SendRawEmail the MIME is parsed: text and html are
    the parts found, and body follows the same rule so it means the same thing for both kinds.
    """
    ses = accepted(endpoint)
    messages = []
    for item in ses.get("Message", []):
        destinations = item["destinations"]
        messages.append({
            "message_id": item["id"], "source": item["source"], "subject": item["subject"],
            "destinations": {"to": destinations.get("ToAddresses", []), "cc": destinations.get("CcAddresses", []),
                             "bcc": destinations.get("BccAddresses", [])},
            "body": item["body"], "text": None, "html": None, "list_unsubscribe": None, "attachments": [],
            "raw": None,
        })
    for item in ses.get("RawMessage", []):
        mime = message_from_string(item["raw_data"], policy=policy.default)
        to = [address for _, address in getaddresses(mime.get_all("To", []))]
        cc = [address for _, address in getaddresses(mime.get_all("Cc", []))]
        parts = [mime.get_body(preferencelist=(kind,)) for kind in ("plain", "html")]
        text, html = (part.get_content() if part else None for part in parts)
        messages.append({
            "message_id": item["id"], "source": item["source"], "subject": mime.get("Subject", ""),
            "destinations": {"to": to, "cc": cc, "bcc": list(dict.fromkeys(
                address for address in (parseaddr(d)[1] for d in item["destinations"]) if address not in to + cc))},
            "body": html if html is not None else text, "text": text, "html": html,
            "list_unsubscribe": str(mime["List-Unsubscribe"]).strip() if mime["List-Unsubscribe"] else None,
            "attachments": [{"filename": part.get_filename(), "content_type": part.get_content_type(),
                             "data": part.get_content()} for part in mime.iter_attachments()],
            "raw": item["raw_data"],
        })
    return messages
