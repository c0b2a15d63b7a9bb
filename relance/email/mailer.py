"""Sending through AWS SES (boto3), or any SES-compatible endpoint such as the local one."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr

import boto3
from botocore.exceptions import ClientError

from relance.config import Settings
from relance.email.rendering import single_line


@dataclass
class OutgoingEmail:
    sender_address: str
    sender_name: str
    to: str
    subject: str
    text: str
    html: str
    bcc: list[str] = field(default_factory=list)
    # Extra headers (marketing's List-Unsubscribe): SES's SendEmail cannot carry them, so an email
    # with headers goes as raw MIME (SendRawEmail).
    headers: dict[str, str] = field(default_factory=dict)


class SenderNotVerified(Exception):
    """SES refused the sender: its address is not a verified identity."""


class SesMailer:
    """Thin async wrapper; verification answers are cached briefly to spare one call per email."""

    VERIFICATION_TTL_SECONDS = 60.0

    def __init__(self, settings: Settings):
        kwargs: dict = {"region_name": settings.aws_region}
        if settings.ses_endpoint:
            kwargs["endpoint_url"] = settings.ses_endpoint
            # A local endpoint accepts any credentials; never let it pick up real ones.
            kwargs.update(aws_access_key_id="local", aws_secret_access_key="local")
        self._client = boto3.client("ses", **kwargs)
        self._verified: dict[str, tuple[bool, float]] = {}

    async def is_verified(self, address: str) -> bool:
        cached = self._verified.get(address)
        if cached and time.monotonic() - cached[1] < self.VERIFICATION_TTL_SECONDS:
            return cached[0]
        answer = await asyncio.to_thread(
            self._client.get_identity_verification_attributes, Identities=[address]
        )
        status = answer["VerificationAttributes"].get(address, {}).get("VerificationStatus")
        verified = status == "Success"
        self._verified[address] = (verified, time.monotonic())
        return verified

    async def verify(self, address: str) -> None:
        """Ask SES to verify an address (on the local endpoint it is verified at once)."""
        await asyncio.to_thread(self._client.verify_email_identity, EmailAddress=address)
        self._verified.pop(address, None)

    async def send(self, email: OutgoingEmail) -> str:
        """Send and return the provider's message id."""
        source = formataddr((single_line(email.sender_name), email.sender_address))
        try:
            answer = await asyncio.to_thread(self._send_raw if email.headers else self._send_simple, source, email)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "MessageRejected" and "not verified" in str(exc):
                self._verified[email.sender_address] = (False, time.monotonic())
                raise SenderNotVerified(email.sender_address) from exc
            raise
        return answer["MessageId"]

    def _send_simple(self, source: str, email: OutgoingEmail) -> dict:
        destination: dict = {"ToAddresses": [email.to]}
        if email.bcc:
            destination["BccAddresses"] = email.bcc
        return self._client.send_email(
            Source=source,
            Destination=destination,
            Message={
                "Subject": {"Data": single_line(email.subject), "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": email.text, "Charset": "UTF-8"},
                    "Html": {"Data": email.html, "Charset": "UTF-8"},
                },
            },
        )

    def _send_raw(self, source: str, email: OutgoingEmail) -> dict:
        """The same email as MIME with its extra headers (header values made single-line: no injection)."""
        mime = EmailMessage()
        mime["From"] = source
        mime["To"] = email.to
        mime["Subject"] = single_line(email.subject)
        for name, value in email.headers.items():
            mime[single_line(name)] = single_line(value)
        mime.set_content(email.text)
        mime.add_alternative(email.html, subtype="html")
        return self._client.send_raw_email(Source=source, Destinations=[email.to, *email.bcc],
                                           RawMessage={"Data": mime.as_bytes()})
