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
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from .model import Rejection

_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9][A-Z0-9 ]*)-----")
_BOM = b"\xef\xbb\xbf"
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE"}
MAX_REPORTED = 20  # block problems listed one by one per file; a file of 30,000 odd blocks gets a count
KEY_REASON = "holds a private key, which was ignored: keep keys out of the trust folder"


@dataclass(frozen=True)
class Block:
    number: int  # 1-based, counting every PEM block in the file
    der: bytes
    cert: x509.Certificate | None  # None when cryptography cannot read it; `error` says why
    error: str | None = None
    notes: tuple[str, ...] = ()  # what cryptography warned about while reading it


@dataclass
class ParsedFile:
    path: str
    blocks: list[Block] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def parse(path: str, data: bytes) -> ParsedFile:
    result = ParsedFile(path)
    if data.startswith(_BOM):
        data = data[len(_BOM):]
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
            result.rejected[:] = [Rejection(
                path,
                f"its {label.decode()} block has no matching END line: the file is cut short "
                "or damaged, so nothing from it was used",
                block=number)]
            return result
        if label in _CERT_LABELS:
            _parse_pem_certificate(result, number, data[marker.end():end])
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
        result.rejected.append(Rejection(result.path, f"is not valid PEM ({_short(exc)})", block=number))
        return
    try:
        cert, notes = read_der(der)
    except ValueError as exc:
        result.blocks.append(Block(number, der, None, f"is not a readable certificate ({_short(exc)})"))
        return
    result.blocks.append(Block(number, der, cert, notes=notes))


def _parse_der(result: ParsedFile, data: bytes) -> None:
    try:
        cert, notes = read_der(data)
    except ValueError as exc:
        if _is_der_private_key(data):
            reason = KEY_REASON
        elif data[:1] == b"\x30":
            reason = f"looks like DER but is not a certificate ({_short(exc)})"
        else:
            reason = "holds no PEM certificate block and is not a DER certificate"
        result.rejected.append(Rejection(result.path, reason))
        return
    result.blocks.append(Block(1, data, cert, notes=notes))


def read_der(der: bytes) -> tuple[x509.Certificate, tuple[str, ...]]:
    """Parse one DER certificate, turning cryptography's deprecation warnings into notes.

    Those warnings (a negative serial number, for one) mean a future cryptography will refuse
    the certificate; the caller decides whether that matters, and the process sees no warning.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cert = x509.load_der_x509_certificate(der)
    return cert, tuple(dict.fromkeys(str(w.message).split(". ")[0] for w in caught))


def _is_der_private_key(data: bytes) -> bool:
    try:
        serialization.load_der_private_key(data, password=None)
    except TypeError:  # encrypted: still a key
        return True
    except (ValueError, UnsupportedAlgorithm):
        return False
    return True


def _not_a_certificate(label: str) -> str:
    if label.endswith("PRIVATE KEY"):
        return KEY_REASON
    if label == "TRUSTED CERTIFICATE":
        return ("is in OpenSSL's TRUSTED CERTIFICATE format, which Python's ssl cannot load: "
                "convert it with `openssl x509 -in FILE -out ca.pem`")
    if label in ("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"):
        return "is a certificate signing request, not a certificate: add the CA certificate instead"
    if label == "X509 CRL":
        return "is a certificate revocation list, which catrust does not use"
    if label.endswith("PUBLIC KEY"):
        return "is a bare public key; a trust anchor must be a certificate"
    return f"is a {label} block, not a certificate"


def _short(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
