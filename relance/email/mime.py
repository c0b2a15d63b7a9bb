"""An email's MIME bytes: the multipart structure written out here, the rest encoded by the email package.

Built as an EmailMessage, a reminder cost 1.9 ms of CPU (bench/, as much as boto3's call to SES):
setting each part's Content-Type, its charset and the boundary parses the header back and folds it
again. The structure is always the same (text and HTML alternatives, then the attachments, if any),
so it is laid out directly; the email package still encodes what depends on the email: its headers
(parsed, RFC 2047-encoded and folded by POLICY, as before), the quoted-printable bodies, and each
attachment's part. No line of a part can be a boundary line ("--", fifteen "=", random digits):
quoted-printable writes every "=" as "=3D", base64 has no "-", a header line starts with a letter or
a space.
"""

from __future__ import annotations

from collections.abc import Iterable
from email import quoprimime
from email.generator import Generator
from email.message import MIMEPart

from relance.email.addresses import POLICY

NL = POLICY.linesep
_TEXT_PART = 'Content-Type: text/{subtype}; charset="utf-8"' + NL + "Content-Transfer-Encoding: quoted-printable" + NL


def header_lines(headers: Iterable[tuple[str, str]], raw: Iterable[tuple[str, str]] = ()) -> bytes:
    """The header lines as POLICY encodes and folds them; `raw` ones (laid out already, as
    addresses.mailbox does) are written as they are. At most one of each header the policy
    allows only once (To, Subject…), as EmailMessage checked."""
    lines, seen = [POLICY.fold_binary(name, value) for name, value in raw], set()
    for name, value in headers:
        key = name.lower()
        if key in seen and POLICY.header_max_count(name) == 1:
            raise ValueError(f"There may be at most 1 {name} header in a message")
        seen.add(key)
        lines.append(POLICY.fold_binary(name, POLICY.header_store_parse(name, value)[1]))
    return b"".join(lines)


def message(headers: bytes, text: str, html: str, attachments: Iterable[tuple[bytes, str, str, str]] = ()) -> bytes:
    """`headers` (header_lines), then the text and HTML alternatives, then the attachments as
    (data, maintype, subtype, filename): multipart/mixed when there are any."""
    alternative = _multipart("alternative", [_text_part("plain", text), _text_part("html", html)])
    parts = [_attachment_part(*attachment) for attachment in attachments]
    body = _multipart("mixed", [alternative, *parts]) if parts else alternative
    return headers + b"MIME-Version: 1.0" + NL.encode() + body


def _text_part(subtype: str, text: str) -> bytes:
    """UTF-8, quoted-printable, as EmailMessage.set_content(text, cte="quoted-printable") writes it."""
    lines = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    encoded = quoprimime.body_encode(lines.decode("latin-1"), POLICY.max_line_length)
    return (_TEXT_PART.format(subtype=subtype) + NL + encoded.replace("\n", NL)).encode("ascii")


def _attachment_part(data: bytes, maintype: str, subtype: str, filename: str) -> bytes:
    """Base64, with its file name (RFC 2231 when not ASCII) in Content-Disposition."""
    part = MIMEPart(policy=POLICY)
    part.set_content(data, maintype=maintype, subtype=subtype, filename=filename)
    return part.as_bytes(policy=POLICY)


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    boundary = Generator._make_boundary()
    delimiter = f"{NL}--{boundary}{NL}".encode()
    return (f'Content-Type: multipart/{subtype};{NL} boundary="{boundary}"{NL}{NL}--{boundary}{NL}'.encode()
            + delimiter.join(parts) + f"{NL}--{boundary}--{NL}".encode())
