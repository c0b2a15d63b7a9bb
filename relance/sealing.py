"""Secrets relance must read back in clear (a webhook's signing secret: the worker signs with it) are
kept sealed: AES-256-GCM under the payload codec's keys (RELANCE_CODEC_KEYS: the first seals, every
one opens, so a key is rotated the same way), stored as `sealed:<key id>:<base64 of nonce+ciphertext>`.

Without RELANCE_CODEC_KEYS there is no key to seal with and a secret is kept as given; a value
written so (or before sealing existed) is opened as it is, and sealed by migration 0013 once keys are set.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from relance.temporal.codec import parse_keys

PREFIX = "sealed:"
NONCE_BYTES = 12


class Sealer:
    def __init__(self, codec_keys: str = "", purpose: str = "webhook secret"):
        """`purpose` is bound to every sealed value: one sealed for another use does not open here."""
        keys, self._active = parse_keys(codec_keys) if codec_keys.strip() else ({}, None)
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._purpose = purpose.encode()

    @property
    def seals(self) -> bool:
        return self._active is not None

    def seal(self, clear: str) -> str:
        if self._active is None:
            return clear
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._active].encrypt(nonce, clear.encode(), self._purpose)
        return f"{PREFIX}{self._active}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, stored: str) -> str:
        """The secret in clear; ValueError naming the key id when no key of RELANCE_CODEC_KEYS opens it."""
        if not is_sealed(stored):
            return stored
        key_id, _, encoded = stored.removeprefix(PREFIX).partition(":")
        if key_id not in self._ciphers:
            raise ValueError(f"a secret sealed with key id {key_id!r}: add it to RELANCE_CODEC_KEYS")
        raw = base64.b64decode(encoded)
        return self._ciphers[key_id].decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._purpose).decode()


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)
