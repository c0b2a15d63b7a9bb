"""The local SES endpoint: moto's server, plus what moto leaves out and production relies on, SES event
publishing. A message sent with a configuration set (the X-SES-CONFIGURATION-SET header, as SES reads
it from a raw email) gets the events SES would publish, in SES's own JSON, on the configuration set's
SNS destination; moto's SNS then delivers them to the subscribed SQS queue, the one relance polls.

What is published, as by SES and its mailbox simulator: Send, then Delivery; for
bounce@simulator.amazonses.com a permanent Bounce instead; for complaint@... a Delivery and a
Complaint. Everything else is delivered (nothing leaves the machine).

Run as `python -m relance.local.ses_server -H HOST -p PORT` (relance/local/ses.py does).
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import UTC, datetime
from email import message_from_string
from email.utils import getaddresses, parseaddr
from urllib.parse import parse_qs, urlsplit

BOUNCE_ADDRESS = "bounce@simulator.amazonses.com"
COMPLAINT_ADDRESS = "complaint@simulator.amazonses.com"


def message_tags(header: str | None) -> dict[str, list[str]]:
    """X-SES-MESSAGE-TAGS: "name1=value1, name2=value2", as SES parses it."""
    tags: dict[str, list[str]] = {}
    for pair in (header or "").split(","):
        name, _, value = pair.strip().partition("=")
        if name:
            tags.setdefault(name.strip(), []).append(value.strip())
    return tags


def ses_events(message_id: str, source: str, recipients: list[str], raw: str, account_id: str,
               now: datetime) -> tuple[str | None, list[dict]]:
    """The configuration set the message names, and the events SES publishes for it."""
    mime = message_from_string(raw)
    configuration_set = mime.get("X-SES-CONFIGURATION-SET")
    if not configuration_set:
        return None, []
    stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    tags = {**message_tags(mime.get("X-SES-MESSAGE-TAGS")), "ses:configuration-set": [configuration_set]}
    mail = {"timestamp": stamp, "messageId": message_id, "source": parseaddr(source)[1], "sendingAccountId": account_id,
            "destination": recipients, "headersTruncated": False, "tags": tags,
            "commonHeaders": {"from": [mime.get("From", "")], "to": [mime.get("To", "")],
                              "subject": mime.get("Subject", "")}}
    events = [{"eventType": "Send", "mail": mail, "send": {}}]
    bounced = [address for address in recipients if address.lower() == BOUNCE_ADDRESS]
    delivered = [address for address in recipients if address not in bounced]
    if delivered:
        events.append({"eventType": "Delivery", "mail": mail, "delivery": {
            "timestamp": stamp, "processingTimeMillis": 1, "recipients": delivered, "smtpResponse": "250 2.0.0 OK",
            "reportingMTA": "localhost"}})
    if bounced:
        events.append({"eventType": "Bounce", "mail": mail, "bounce": {
            "bounceType": "Permanent", "bounceSubType": "General", "timestamp": stamp, "feedbackId": str(uuid.uuid4()),
            "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"} for address in bounced]}})
    complained = [address for address in delivered if address.lower() == COMPLAINT_ADDRESS]
    if complained:
        events.append({"eventType": "Complaint", "mail": mail, "complaint": {
            "timestamp": stamp, "feedbackId": str(uuid.uuid4()), "complaintFeedbackType": "abuse",
            "complainedRecipients": [{"emailAddress": address} for address in complained]}})
    return configuration_set, events


def _install_event_publishing() -> None:
    """Wrap moto's SendRawEmail: after moto accepted the message, publish its events on the SNS topic of
    the configuration set's event destination (none configured: nothing, as with SES)."""
    from moto.ses.models import SESBackend
    from moto.sns.models import sns_backends

    accept = SESBackend.send_raw_email

    def send_raw_email(self, source, destinations, raw_data):
        message = accept(self, source, destinations, raw_data)
        recipients = list(dict.fromkeys(address for _, address in getaddresses(message.destinations)))
        name, events = ses_events(message.id, message.source or "", recipients, raw_data, self.account_id,
                                  datetime.now(UTC))
        destination = self.config_set_event_destination.get(name) if name else None
        if destination and destination.get("Enabled", True) not in (False, "false"):
            wanted = {kind.lower() for kind in destination.get("MatchingEventTypes", [])}
            topic = destination.get("SNSDestination", {}).get("TopicARN")
            for event in events:
                if topic and (not wanted or event["eventType"].lower() in wanted):
                    sns_backends[self.account_id][self.region_name].publish(json.dumps(event), arn=topic)
        return message

    SESBackend.send_raw_email = send_raw_email


def _install_cheap_queue_clock() -> None:
    """moto's SQS reads the clock through datetime objects for every message of a queue on every send (to
    count them): with a minute of events waiting for relance's drain (3,000), the endpoint took 5 emails a
    second, and sends queued so long that Temporal gave up on them. The same instant from time.time():
    78 a second (bench/README)."""
    from moto.sqs import models

    exact = models.unix_time_millis

    def unix_time_millis(dt=None) -> float:
        return time.time() * 1000.0 if dt is None else exact(dt)

    models.unix_time_millis = unix_time_millis


def _install_attributes_read_one_by_one() -> None:
    """moto's SQS builds every attribute of a queue, counting its messages three times over, to read
    ContentBasedDeduplication on each SendMessage: with thousands of SES events waiting for relance's
    drain, a quarter of the endpoint's CPU (py-spy, bench). A queue's attributes are now a mapping
    that computes the one asked for; GetQueueAttributes still reads them all."""
    from collections.abc import Iterator, Mapping

    from moto.core.utils import camelcase_to_underscores
    from moto.sqs.models import Queue

    class Attributes(Mapping):
        def __init__(self, queue: Queue):
            self._queue = queue

        def _names(self) -> list[str]:
            queue = self._queue
            return [*queue.BASE_ATTRIBUTES, *(queue.FIFO_ATTRIBUTES if queue.fifo_queue else ()),
                    *(queue.KMS_ATTRIBUTES if queue.kms_master_key_id else ())]

        def __getitem__(self, name: str):
            if name not in self._names():
                raise KeyError(name)
            if name == "RedrivePolicy" and self._queue.redrive_policy:
                return json.dumps(self._queue.redrive_policy)
            value = getattr(self._queue, camelcase_to_underscores(name))
            return str(value).lower() if isinstance(value, bool) else value

        def __iter__(self) -> Iterator[str]:
            return iter(self._names())

        def __len__(self) -> int:
            return len(self._names())

    Queue.attributes = property(Attributes)


def _install_queue_scans_once() -> None:
    """moto's SQS reads the clock twice for every queued message when it lists the visible ones (each
    ReceiveMessage), and walks the whole queue twice, building a list of receipt handles per message,
    to delete one (each event relance drains): with thousands of events queued, draining an event cost
    more than sending its email. The visible ones are now listed against one reading of the clock, and
    a receipt handle leads to its message through an index kept as messages are received."""
    from moto.sqs.exceptions import ReceiptHandleIsInvalid
    from moto.sqs.models import Message, Queue

    received: dict[str, Message] = {}
    mark_received = Message.mark_received

    def indexed_mark_received(self: Message, visibility_timeout: int | None = None) -> None:
        mark_received(self, visibility_timeout)
        received[self.receipt_handle] = self

    def messages(self: Queue) -> list[Message]:
        now = time.time() * 1000.0
        return [message for message in self._messages if message.visible_at < now and message.delayed_until <= now]

    def delete_message(self: Queue, receipt_handle: str) -> None:
        if receipt_handle in self.deleted_messages:
            return  # deleted already: SQS answers as if it were the first time
        try:
            at = self._messages.index(received[receipt_handle])
        except (KeyError, ValueError):  # never received, or its message is gone
            raise ReceiptHandleIsInvalid() from None
        message = self._messages[at]
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)
        for handle in message.all_receipt_handles:
            received.pop(handle, None)
        self._messages = self._messages[:at] + self._messages[at + 1:]  # a new list, as moto makes

    Message.mark_received = indexed_mark_received
    Queue.messages = property(messages)
    Queue.delete_message = delete_message


def _install_module_list_once() -> None:
    """moto's dispatcher lists its package's folders (a stat each, ~150) on every request to match the
    Host header against a service name: 7 % of the endpoint's CPU. They do not change while it runs."""
    import functools

    from moto import backends

    listed = backends.list_of_moto_modules
    backends.list_of_moto_modules = functools.cache(lambda: tuple(listed()))


def _install_one_signing_certificate() -> None:
    """moto's SNS makes a new X.509 certificate (an RSA signature of its own) for every message it hands to
    SQS, and keeps each one's PEM: the largest part of this endpoint's CPU once an email's two events are
    published, and memory that grows with every event. SNS signs many messages with one certificate; so
    does this, one per subscription, made with its first message. Every message is still signed
    (SignatureVersion 2) and its SigningCertURL serves the certificate that verifies it."""
    import base64
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.x509.oid import NameOID
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.utils import iso_8601_datetime_with_milliseconds, utcnow
    from moto.sns.models import Subscription, sns_backends

    def certificate(subscription: Subscription) -> str:
        """The name of the subscription's certificate, made and served from its first message on."""
        if not hasattr(subscription, "_certificate"):
            key = subscription.private_key()
            issuer = [x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amazon"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Amazon RSA 2048 M01")]
            made = (x509.CertificateBuilder()
                    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")]))
                    .issuer_name(x509.Name(issuer)).public_key(key.public_key())
                    .serial_number(x509.random_serial_number())
                    .not_valid_before(utcnow()).not_valid_after(utcnow() + timedelta(days=365))
                    .sign(key, hashes.SHA256()))
            name = f"SimpleNotificationService-{uuid.uuid4().hex}.pem"
            # moto serves every certificate from its default account's backend of the region.
            sns_backends[DEFAULT_ACCOUNT_ID][subscription.topic.sns_backend.region_name]._message_public_keys[
                name] = made.public_bytes(serialization.Encoding.PEM)
            subscription._certificate = name
        return subscription._certificate

    def get_post_data(self: Subscription, message: str, message_id: str, subject: str | None,
                      message_attributes: dict | None = None) -> dict:
        name, region = certificate(self), self.topic.sns_backend.region_name
        timestamp = iso_8601_datetime_with_milliseconds()
        signed = (f"Message\n{message}\nMessageId\n{message_id}\nTimestamp\n{timestamp}\nTopicArn\n"
                  f"{self.topic.arn}\nType\nNotification\n")
        signature = self.private_key().sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        post = {"Type": "Notification", "MessageId": message_id, "TopicArn": self.topic.arn, "Message": message,
                "Timestamp": timestamp, "SignatureVersion": "2", "Signature": base64.b64encode(signature).decode(),
                "SigningCertURL": f"https://sns.{region}.amazonaws.com/{name}",
                "UnsubscribeURL": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={self.arn}"}
        if subject:
            post["Subject"] = subject
        if message_attributes:
            post["MessageAttributes"] = message_attributes
        return post

    Subscription.get_post_data = get_post_data


def _install_one_service_data() -> None:
    """`/moto-api/data.json?service=ses`: the models of the services named, in moto's layout, instead of
    every service's. moto serializes each attribute of every instance it tracks, the SES events queued in
    SQS and the documents in S3 included, and the tests ask for the sent mail many times a second while
    they wait for it."""
    from moto.core.model_instances import model_data as tracked
    from moto.moto_api._internal.responses import MotoAPIResponse

    everything = MotoAPIResponse.model_data

    def model_data(self, request, full_url, headers):
        services = parse_qs(urlsplit(full_url).query).get("service")
        if not services:
            return everything(self, request, full_url, headers)
        results = {service: {name: [_public(instance) for instance in model.instances_tracked]
                             for name, model in sorted(tracked.get(service, {}).items())} for service in services}
        return 200, {"Content-Type": "application/json"}, json.dumps(results)

    MotoAPIResponse.model_data = model_data


def _public(instance) -> dict:
    """An instance's attributes as moto's data.json gives them: public and JSON-serializable."""
    attributes = {}
    for name in dir(instance):
        if name.startswith("_"):
            continue
        try:
            value = getattr(instance, name)
            json.dumps(value)
        except (TypeError, AttributeError, ValueError):
            continue
        attributes[name] = value
    return attributes


def main(argv: list[str]) -> None:
    from moto.server import main as moto_main

    _install_event_publishing()
    _install_cheap_queue_clock()
    _install_one_signing_certificate()
    _install_attributes_read_one_by_one()
    _install_queue_scans_once()
    _install_module_list_once()
    _install_one_service_data()
    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
