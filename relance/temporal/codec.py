"""Payload encryption (AES-256-GCM) so that names, addresses and amounts never sit in clear in
Temporal's history. The key id travels in each payload's metadata, so several keys can be accepted
while one is rotated out. Search attributes, ids and types are never encrypted: keep PII out of them.
"""

from __future__ import annotations

import base64
import dataclasses
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: dict[str, bytes], active: str):
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            nonce = os.urandom(12)
            sealed = self._ciphers[self._active].encrypt(nonce, payload.SerializeToString(), None)
            out.append(Payload(metadata={"encoding": ENCODING, KEY_ID: self._active.encode()}, data=nonce + sealed))
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                out.append(payload)  # written before encryption was switched on
                continue
            key_id = payload.metadata[KEY_ID].decode()
            if key_id not in self._ciphers:
                raise ValueError(f"payload encrypted with unknown key id {key_id!r}: add it to RELANCE_CODEC_KEYS")
            clear = self._ciphers[key_id].decrypt(payload.data[:12], payload.data[12:], None)
            decoded = Payload()
            decoded.ParseFromString(clear)
            out.append(decoded)
        return out


def parse_keys(spec: str) -> tuple[dict[str, bytes], str]:
    """'k2:base64,k1:base64' -> ({k2: key, k1: key}, 'k2'); refuses anything but 32-byte keys."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in spec.split(",") if part.strip()):
        key_id, _, encoded = item.partition(":")
        key = base64.b64decode(encoded)
        if not key_id or len(key) != 32:
            raise ValueError(f"RELANCE_CODEC_KEYS: entry {key_id or item!r} must be id:base64 of 32 bytes")
        keys[key_id] = key
    return keys, next(iter(keys))


def codec_from(spec: str) -> EncryptionCodec | None:
    return EncryptionCodec(*parse_keys(spec)) if spec.strip() else None


def with_codec(converter: DataConverter, codec: EncryptionCodec | None) -> DataConverter:
    """The converter with encryption on, failure messages included."""
    if codec is None:
        return converter
    return dataclasses.replace(converter, payload_codec=codec,
                               failure_converter_class=DefaultFailureConverterWithEncodedAttributes)


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()
