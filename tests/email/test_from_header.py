"""The From header names the sender's address and nothing else, whatever the display name holds:
quotes, commas, angle brackets, another address, encoded-word look-alikes, 200 characters (issue 28).
Built, parsed back with the email package, and sent through the local SES endpoint.

The name is read back with the RFC 2047 decoder (email.header): the newer parser puts a space
between adjacent encoded-words in a phrase, which RFC 2047 (6.2) says to drop."""

from email import message_from_bytes, message_from_string
from email.header import decode_header, make_header
from email.policy import compat32, default

import pytest

from relance.email.mailer import OutgoingEmail, SesMailer
from relance.local import ses as local_ses

SENDER = "agent@agency.example"
HOSTILE_NAMES = [
    "A" * 150 + ', "Paris" office <ceo@bank.example>',
    'Agence, "Nord" <ceo@bank.example>',
    "É" * 200 + ' "q" <a@b.example>, d@e.example',
    "x" * 200,
    '"' * 200,
    "<" * 100 + "," * 100,
    "ceo@bank.example",
    "😀" * 200,
    "é" * 30 + ' "x" ' + "a" * 165,
    "Hé \\ \"",
    "=?utf-8?b?Y2VvQGJhbmsuZXhhbXBsZQ==?=",
    "Claire Martin",
]


def email(name: str) -> OutgoingEmail:
    return OutgoingEmail(sender_address=SENDER, sender_name=name, to="ann@x.example.org", subject="Facture F-1",
                         text="t", html="<p>t</p>")


def assert_from_is_the_sender(raw: bytes | str, name: str) -> None:
    parse = message_from_bytes if isinstance(raw, bytes) else message_from_string
    header = parse(raw, policy=default)["From"]
    assert [address.addr_spec for address in header.addresses] == [SENDER], raw[:400]
    assert str(make_header(decode_header(parse(raw, policy=compat32)["From"]))) == f"{name} <{SENDER}>"


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_the_from_header_parses_back_to_the_sender_and_its_name(mailer, name):
    raw = mailer._mime(email(name), tag=None)
    assert_from_is_the_sender(raw, name)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


async def test_a_real_send_keeps_the_sender_as_the_only_from_address(mailer: SesMailer, ses_endpoint, clean):
    await mailer.verify(SENDER)
    for name in HOSTILE_NAMES:
        await mailer.send(email(name))
    sent = local_ses.sent_messages(ses_endpoint)
    assert len(sent) == len(HOSTILE_NAMES)
    for message, name in zip(sent, HOSTILE_NAMES, strict=True):
        assert_from_is_the_sender(message["raw"], name)
