"""The bundle file: the merged anchors as PEM, with `#` lines saying where each custom CA came from."""

from __future__ import annotations

import ssl
from collections.abc import Iterable

from .model import Certificate

MARKER = "# catrust bundle"


def render(certificates: Iterable[Certificate]) -> str:
    """Only CERTIFICATE blocks, in the store's order; custom ones carry `#` lines saying where from.

    The first line marks the file as catrust's, so that catrust never reads it back as *system*
    roots (through SSL_CERT_FILE, as `catrust env` sets it), where its custom CAs would skip policy
    and could never be removed.
    """
    parts = [f"{MARKER}: written by catrust from the CA folders it judged; not a system bundle\n"]
    for cert in certificates:
        if cert.origin == "custom":
            expiry = cert.not_after.strftime("%Y-%m-%d") if cert.not_after else "unknown"
            parts.append(f"# {_ascii(cert.subject)}\n# source: {_ascii(cert.where)}\n"
                         f"# expires: {expiry}\n# sha256: {cert.fingerprint}\n")
        parts.append(ssl.DER_cert_to_PEM_cert(cert.der))
    return "".join(parts)


def _ascii(text: str) -> str:
    """Comment text is already one printable line; escape what is not ASCII so the bundle is plain ASCII."""
    return text.encode("ascii", "backslashreplace").decode("ascii")
