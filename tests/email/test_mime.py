"""The MIME an email goes out as (relance.email.mime, laid out without EmailMessage): parsed back by the
email package, every header, alternative and attachment is what the email said, whatever its bodies hold."""

from email import message_from_bytes
from email.policy import default

import pytest

from relance.email.mailer import Attachment, OutgoingEmail

BODIES = ["Bonjour é\r\nligne 2\rligne 3\n", "x" * 500, "From the start\n--===============1==\n=3D==\n", "😀 \t \n", ""]


def lines(text: str) -> str:
    """The text's lines, each ended by a newline: a body goes out in lines, its line ends as SMTP's."""
    return "\n".join(text.splitlines()) + "\n"


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_an_email_parses_back_to_its_headers_bodies_and_attachments(mailer, body):
    pdf = bytes(range(256)) * 20
    email = OutgoingEmail("agent@agency.example", "Agence Nord", "ann@x.example.org", "Facture échue " + body[:40],
                          body, f"<p>{body}</p>", cc=["b@y.example", "c@z.example"],
                          attachments=[Attachment("Facture été.pdf", "application/pdf", pdf)],
                          headers={"List-Unsubscribe": "<https://relance.example/u/abc>"})
    raw = mailer._mime(email, tag="t1")
    message = message_from_bytes(raw, policy=default)
    assert not message.defects and max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert (message["To"], message["Cc"], message["List-Unsubscribe"]) == (
        "ann@x.example.org", "b@y.example, c@z.example", "<https://relance.example/u/abc>")
    assert message["Subject"] == " ".join(("Facture échue " + body[:40]).split())
    alternative, attachment = message.iter_parts()
    text, html = alternative.iter_parts()
    assert (text.get_content_type(), lines(text.get_content())) == ("text/plain", lines(body))
    assert (html.get_content_type(), lines(html.get_content())) == ("text/html", lines(f"<p>{body}</p>"))
    assert (attachment.get_filename(), attachment.get_content_type(), attachment.get_content()) == (
        "Facture été.pdf", "application/pdf", pdf)


def test_a_header_allowed_once_cannot_come_twice(mailer):
    email = OutgoingEmail("agent@agency.example", "", "ann@x.example.org", "s", "t", "h", headers={"To": "e@x.example"})
    with pytest.raises(ValueError, match="at most 1 To"):
        mailer._mime(email, tag=None)
