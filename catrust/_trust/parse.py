"""Step 2, which certificates: split a file into PEM blocks (or one DER certificate) and parse them.

The blocks are found by their markers, not by `x509.load_pem_x509_certificates`, because that
silently drops a truncated last block and cannot say which block was bad. Blocks that are not
certificates are reported by kind only; their content (a private key, say) is never kept.
"""

from __future__ import annotations

import base64
import binascii
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .._text import exception_text, name_text
from .model import Rejection

_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9][A-Z0-9 ]*)-----")
_BOM = b"\xef\xbb\xbf"
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE"}
MAX_REPORTED = 20  # block problems listed one by one per file; a file of 30,000 odd blocks gets a count
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
KEY_REASON = "holds a private key, which was ignored: keep keys out of the trust folder"


@dataclass(frozen=True)
class Block:
    number: int  # 1-based, counting every PEM block in the file
    der: bytes
    cert: x509.Certificate | None  # None when cryptography cannot read it; `error` says why
    error: str | None = None
    notes: tuple[str, ...] = ()  # what cryptography warned about while reading it
    subject: str = ""  # RFC 4514, safe to print; read once here, where a failure is caught
    issuer: str = ""
    not_before: datetime = _EPOCH
    not_after: datetime = _EPOCH


@dataclass
class ParsedFile:
    path: str
    blocks: list[Block] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def parse(path: str, data: bytes) -> ParsedFile:
    result = ParsedFile(path)
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if not data.strip():
        result.rejected.append(Rejection(path, "is empty"))
        return result
    markers = list(_BEGIN.finditer(data))
    if not markers:
        _parse_der(result, data)
        return result
    skipped = 0
    for number, marker in enumerate(markers, start=1):
        label = marker.group(1)
        end_marker = b"-----END " + label + b"-----"
        limit = markers[number].start() if number < len(markers) else len(data)
        end = data.find(end_marker, marker.end(), limit)
        if end < 0:
            result.blocks.clear()
            result.rejected[:] = [
                Rejection(
                    path,
                    f"its {label.decode()} block has no matching END line: the file is cut short "
                    "or damaged, so nothing from it was used",
                    block=number,
                )
            ]
            return result
        if label in _CERT_LABELS:
            _parse_pem_certificate(result, number, data[marker.end() : end])
        elif len(result.rejected) < MAX_REPORTED:
            result.rejected.append(Rejection(path, _not_a_certificate(label.decode()), block=number))
        else:
            skipped += 1
    if skipped:
        result.rejected.append(Rejection(path, f"holds {skipped} more blocks that are not certificates (not listed)"))
    return result


def _parse_pem_certificate(result: ParsedFile, number: int, body: bytes) -> None:
    try:
        if b":" in body:
            raise ValueError("PEM headers are not allowed in a certificate block")
        der = base64.b64decode(b"".join(body.split()), validate=True)
    except (ValueError, binascii.Error) as exc:
        result.rejected.append(Rejection(result.path, f"is not valid PEM ({exception_text(exc)})", block=number))
        return
    result.blocks.append(read_block(number, der))


def _parse_der(result: ParsedFile, data: bytes) -> None:
    block = read_block(1, data)
    if block.cert is not None:
        result.blocks.append(block)
        return
    if _is_der_private_key(data):
        reason = KEY_REASON
    elif data[:1] == b"\x30":
        reason = f"looks like DER but {block.error}"
    else:
        reason = "holds no PEM certificate block and is not a DER certificate"
    result.rejected.append(Rejection(result.path, reason))


def read_block(number: int, der: bytes) -> Block:
    """Parse one DER certificate and read the fields every output shows, catching whatever fails.

    cryptography reads lazily and raises many kinds of exception on odd certificates (an X.509 v2
    certificate, invalid UTF-8 in a name, an unknown algorithm): reading the shown fields here,
    once, means one odd certificate becomes one verdict, never an exception that costs all trust.
    Its deprecation warnings (a serial number of zero, say) become notes; the process sees none.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cert = x509.load_der_x509_certificate(der)
            fields = (
                name_text(cert.subject),
                name_text(cert.issuer),
                cert.not_valid_before_utc,
                cert.not_valid_after_utc,
            )
        except Exception as exc:  # noqa: BLE001 - see above: any failure is this block's verdict
            return Block(number, der, None, f"is not a readable certificate ({exception_text(exc, named=True)})")
    return Block(number, der, cert, None, notes(str(w.message) for w in caught), *fields)


def notes(messages: Iterable[str]) -> tuple[str, ...]:
    """cryptography's warnings in words that keep their point: it will refuse the certificate later."""
    out: dict[str, None] = {}
    for message in messages:
        if "serial number" in message:
            message = (
                "has a serial number of zero or below, which RFC 5280 forbids: a future release of "
                "cryptography will refuse to read it (and catrust with it); re-issue it with a positive serial"
            )
        out[" ".join(message.split())] = None
    return tuple(out)


def _is_der_private_key(data: bytes) -> bool:
    try:
        serialization.load_der_private_key(data, password=None)
    except TypeError:  # encrypted: still a key
        return True
    except Exception:  # noqa: BLE001 - not a key we can read, whatever cryptography says
        return False
    return True


def _not_a_certificate(label: str) -> str:
    if label.endswith("PRIVATE KEY"):
        return KEY_REASON
    if label == "TRUSTED CERTIFICATE":
        return (
            "is in OpenSSL's TRUSTED CERTIFICATE format, which Python's ssl cannot load: "
            "convert it with `openssl x509 -in FILE -out ca.pem`"
        )
    if label in ("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"):
        return "is a certificate signing request, not a certificate: add the CA certificate instead"
    if label == "X509 CRL":
        return "is a certificate revocation list, which catrust does not use"
    if label.endswith("PUBLIC KEY"):
        return "is a bare public key; a trust anchor must be a certificate"
    return f"is a {label} block, not a certificate"
