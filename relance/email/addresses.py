"""The From header, laid out so that no folding can change its address.

CPython's header folder (3.11, 3.12) can drop the quotes of a long display name when it wraps it:
`…, "Paris" office <ceo@bank.example>` as a name was read back as From ceo@bank.example. A name
that is not plain words goes as RFC 2047 encoded-words instead, one per line: nothing in them is
special to an address parser, and every line is short enough that the policy leaves it as it is."""

from __future__ import annotations

import base64
import re
from email.policy import SMTP

# Atoms and single spaces: nothing a parser could read as quotes, a list, an address or an encoded-word.
PLAIN_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+/^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/^_`{|}~-]+)*")
# "From: " + "=?utf-8?b?" + 60 base64 characters + "?=" is 78: the line length the policy keeps.
WORD_BYTES = 45
PLAIN_LINE = 70
# Headers set with set_raw (the From header below) go out as laid out; the others are folded as usual.
POLICY = SMTP.clone(refold_source="none")


def mailbox(name: str, address: str) -> str:
    """`name <address>` as a header value for Message.set_raw, with POLICY."""
    if not name:
        return address
    if PLAIN_NAME.fullmatch(name) and len(name) + len(address) <= PLAIN_LINE:
        return f"{name} <{address}>"
    return "\n ".join([*map(_encoded_word, _chunks(name)), f"<{address}>"])


def _chunks(text: str) -> list[str]:
    """Pieces of at most WORD_BYTES bytes of UTF-8, never splitting a character."""
    chunks, chunk = [], ""
    for character in text:
        if len((chunk + character).encode()) > WORD_BYTES:
            chunks.append(chunk)
            chunk = ""
        chunk += character
    return [*chunks, chunk]


def _encoded_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="
