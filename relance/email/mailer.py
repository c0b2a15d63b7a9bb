"""Sending through AWS SES (boto3), or any SES-compatible endpoint such as the local one."""

from __future__ import annotations

import asyncio
import functools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import formataddr

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from relance.config import Settings
from relance.email import mime, ses_form
from relance.email.addresses import mailbox
from relance.email.events import EventQueue
from relance.email.ledger import SEND_TAG
from relance.email.pacing import Episode, Pacer
from relance.email.rendering import single_line
from relance.temporal.heartbeat import heartbeating

THROTTLE_BACKOFF_MIN_SECONDS = 0.2
THROTTLE_BACKOFF_MAX_SECONDS = 5.0
# A step held by an exhausted daily quota is tried again this often (the quota is a rolling 24 h).
QUOTA_RETRY = timedelta(minutes=15)
# boto3 blocks: its calls run on threads of their own, one per send a worker takes at once (worker.py
# SEND_SLOTS), with as many connections. On Python's shared default pool (cores + 4: six threads here)
# sends queued for a thread past their heartbeat timeout on a busy host, were given up on mid-send and
# left uncertain, settled 15 minutes late (bench.run, N=1,000).
SES_THREADS = 64


@dataclass(frozen=True)
class Attachment:
    """A file the email carries; its type was sniffed from its bytes when it arrived (relance.documents)."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class OutgoingEmail:
    sender_address: str
    sender_name: str
    to: str
    subject: str
    text: str
    html: str
    bcc: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)  # the account's extra recipients in copy
    attachments: list[Attachment] = field(default_factory=list)
    # Extra headers (marketing's List-Unsubscribe): SES's SendEmail cannot carry them, so an email
    # with headers goes as raw MIME (SendRawEmail).
    headers: dict[str, str] = field(default_factory=dict)


class SenderNotVerified(Exception):
    """SES refused the sender: its address is not a verified identity."""


class Rejected(Exception):
    """SES refused the message for good (MessageRejected, the sender being verified): never retried."""


class SesMailer:
    """Thin async wrapper; verification answers are cached briefly to spare one call per email."""

    VERIFICATION_TTL_SECONDS = 60.0

    def __init__(self, settings: Settings):
        kwargs: dict = {"region_name": settings.aws_region}
        if settings.ses_endpoint:
            kwargs["endpoint_url"] = settings.ses_endpoint
            # A local endpoint accepts any credentials; never let it pick up real ones.
            kwargs.update(aws_access_key_id="local", aws_secret_access_key="local")
        self._client = boto3.client("ses", config=Config(max_pool_connections=SES_THREADS), **kwargs)
        self._client.meta.events.register_first(ses_form.EVENT, ses_form.encode_once)
        self._threads = ThreadPoolExecutor(max_workers=SES_THREADS, thread_name_prefix="ses")
        self.configuration_set = settings.ses_configuration_set
        self.events = EventQueue(settings)  # what SES says became of the messages (relance.email.events)
        # An uncertain send is settled this long after, by SES's events; without an events queue
        # nothing can tell whether SES took it, so it stays uncertain (at most once).
        self.settle_after = settings.ses_reconcile_after if self.events.url else None
        self._settings = settings
        self._pacer = Pacer(self._max_send_rate)
        self._throttling, self._quota = Episode("SES throttling"), Episode("SES daily quota exhausted")
        self._verified: dict[str, tuple[bool, float]] = {}

    @property
    def settings(self) -> Settings:
        """The settings it was made with (the endpoint: object storage is on the same local one)."""
        return self._settings

    async def _call(self, method, **kwargs):
        """One boto3 call, on SES's own threads."""
        return await asyncio.get_running_loop().run_in_executor(self._threads, functools.partial(method, **kwargs))

    async def is_verified(self, address: str) -> bool:
        cached = self._verified.get(address)
        if cached and time.monotonic() - cached[1] < self.VERIFICATION_TTL_SECONDS:
            return cached[0]
        answer = await self._call(self._client.get_identity_verification_attributes, Identities=[address])
        status = answer["VerificationAttributes"].get(address, {}).get("VerificationStatus")
        verified = status == "Success"
        self._verified[address] = (verified, time.monotonic())
        return verified

    async def verify(self, address: str) -> None:
        """Ask SES to verify an address (on the local endpoint it is verified at once)."""
        await self._call(self._client.verify_email_identity, EmailAddress=address)
        self._verified.pop(address, None)

    async def send(self, email: OutgoingEmail, tag: str | None = None) -> str:
        """Send and return the provider's message id. `tag` (the ledger's send tag) goes out as a
        message tag, with the configuration set: SES's events about this message carry it back."""
        raw = self._mime(email, tag)
        raw_source = formataddr((single_line(email.sender_name), email.sender_address))
        # Without Destinations SES sends to the To header; a Bcc copy is named only there, never in a header.
        copies = [*email.cc, *email.bcc]
        destinations = {"Destinations": [email.to, *copies]} if copies else {}
        backoff = THROTTLE_BACKOFF_MIN_SECONDS
        while True:
            async with heartbeating():  # waiting for the pace is a wait, not a death
                await self._pacer.wait()
            try:
                answer = await self._call(self._client.send_raw_email, RawMessage={"Data": raw}, Source=raw_source,
                                          **destinations)
                break
            except ClientError as exc:
                error = exc.response.get("Error", {})
                code, message = error.get("Code"), error.get("Message", "")
                if code == "Throttling" and "daily" in message.lower():
                    self._quota.begin()
                    # The claim is released; the step is tried again later, quietly (benign).
                    raise ApplicationError(f"SES daily sending quota exhausted: {message}", type="DailyQuota",
                                           next_retry_delay=QUOTA_RETRY, category=ApplicationErrorCategory.BENIGN)
                if code == "Throttling":
                    # An expected wait: heartbeats keep the step alive (a dead worker is still noticed).
                    self._throttling.begin()
                    if activity.in_activity():
                        activity.heartbeat()
                    await asyncio.sleep(backoff)
                    backoff = min(THROTTLE_BACKOFF_MAX_SECONDS, backoff * 2)
                    continue
                if code == "MessageRejected" and "not verified" in message:
                    self._verified[email.sender_address] = (False, time.monotonic())
                    raise SenderNotVerified(email.sender_address) from exc
                if code == "MessageRejected":
                    raise Rejected(message) from exc
                raise
        self._throttling.end()
        self._quota.end()
        return answer["MessageId"]

    def _max_send_rate(self) -> float | None:
        """RELANCE_SES_RATE, else the account's own (real SES only: the local endpoint is not paced)."""
        if self._settings.ses_rate or self._settings.ses_endpoint:
            return self._settings.ses_rate
        return float(self._client.get_send_quota()["MaxSendRate"])

    def _mime(self, email: OutgoingEmail, tag: str | None) -> bytes:
        """The email as MIME, with the headers SES reads and the email's own (marketing's List-Unsubscribe),
        and its attachments."""
        headers = [("To", email.to)]
        if email.cc:
            headers.append(("Cc", ", ".join(email.cc)))
        headers.append(("Subject", single_line(email.subject)))
        if self.configuration_set:
            # SES reads both headers from a raw email and strips them before delivery.
            headers.append(("X-SES-CONFIGURATION-SET", self.configuration_set))
            if tag:
                headers.append(("X-SES-MESSAGE-TAGS", f"{SEND_TAG}={tag}"))
        # Single lines: no header injection.
        headers += [(single_line(name), single_line(value)) for name, value in email.headers.items()]
        sender = ("From", mailbox(single_line(email.sender_name), email.sender_address))
        # A non-ASCII file name goes as RFC 2231.
        attachments = [(a.data, *a.content_type.split("/", 1), single_line(a.filename)) for a in email.attachments]
        return mime.message(mime.header_lines(headers, raw=[sender]), email.text, email.html, attachments)
