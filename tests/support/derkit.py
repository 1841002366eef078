"""Craft certificates cryptography will not build (v1, v2, odd encodings) by editing DER and re-signing.

Only what the hostile-input tests need: split a certificate into its parts, change the
to-be-signed bytes, sign again with the issuer's key so the signature is genuinely valid.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

VERSION_V3 = bytes.fromhex("a003020102")


def header(length: int, tag: int) -> bytes:
    if length < 0x80:
        return bytes([tag, length])
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big")


def tlv(tag: int, content: bytes) -> bytes:
    return header(len(content), tag) + content


def split(data: bytes) -> list[bytes]:
    """The encoded elements inside one DER SEQUENCE (headers included)."""

    def element(at: int) -> int:
        first = data[at + 1]
        if first < 0x80:
            return at + 2 + first
        size = first & 0x7F
        return at + 2 + size + int.from_bytes(data[at + 2 : at + 2 + size], "big")

    start = 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F)
    out, at = [], start
    while at < len(data):
        end = element(at)
        out.append(data[at:end])
        at = end
    return out


def content(encoded: bytes) -> bytes:
    return encoded[2:] if encoded[1] < 0x80 else encoded[2 + (encoded[1] & 0x7F) :]


def resign(cert_der: bytes, key: ec.EllipticCurvePrivateKey, edit: Callable[[bytes], bytes]) -> bytes:
    """`cert_der` with its TBS contents passed through `edit`, signed again by `key` (ECDSA-SHA256)."""
    tbs, algorithm, _ = split(cert_der)
    new_tbs = tlv(0x30, edit(content(tbs)))
    signature = key.sign(new_tbs, ec.ECDSA(hashes.SHA256()))
    return tlv(0x30, new_tbs + algorithm + tlv(0x03, b"\x00" + signature))


def as_version(cert_der: bytes, key: ec.EllipticCurvePrivateKey, version: int) -> bytes:
    """The certificate as X.509 v1 (no version field, so no extensions may stay) or v2."""

    def edit(tbs: bytes) -> bytes:
        assert tbs.startswith(VERSION_V3)
        rest = tbs[len(VERSION_V3) :]
        return rest if version == 1 else bytes.fromhex("a003020101") + rest

    return resign(cert_der, key, edit)
