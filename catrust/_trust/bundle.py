"""The bundle file: the merged anchors as PEM, with `#` lines saying where each custom CA came from,
and the one piece of code that keeps such a file current (for the library and the sidecar alike)."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .._files import starts_with
from ..errors import CatrustError
from .model import Certificate

if TYPE_CHECKING:
    from .store import TrustStore

log = logging.getLogger("catrust")

MARKER = "# catrust bundle"
# What SSL_CERT_FILE named before catrust pointed it at a bundle, for a child's catrust to read as system roots.
SYSTEM_CERT_FILE = "CATRUST_SYSTEM_CERT_FILE"


def is_catrust_bundle(path: str) -> bool:
    """Whether `path` is a regular file that catrust wrote (read without blocking, up to the marker only)."""
    return starts_with(path, MARKER.encode())


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
            parts.append(
                f"# {_ascii(cert.subject)}\n# source: {_ascii(cert.where)}\n"
                f"# expires: {expiry}\n# sha256: {cert.fingerprint}\n"
            )
        parts.append(ssl.DER_cert_to_PEM_cert(cert.der))
    return "".join(parts)


def _ascii(text: str) -> str:
    """Comment text is already one printable line; escape what is not ASCII so the bundle is plain ASCII."""
    return text.encode("ascii", "backslashreplace").decode("ascii")


class BundleFile:
    """A bundle file kept at the trust in force: rewritten (atomically) for each new store.

    The first write must succeed: it raises, since a path that was never written is a wrong path,
    not a passing problem. A later failure is logged, the file keeps the previous bundle, and the
    write is tried again at the next `update`.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.store: TrustStore | None = None  # the store whose bundle the file holds

    def update(self, store: TrustStore) -> bool:
        """Bring the file to `store`; True when it was written."""
        if store is self.store:
            return False
        try:
            store.write_bundle(self.path)
        except CatrustError as exc:
            if self.store is None:
                raise
            log.warning("%s; the file keeps the previous bundle, and the write is retried at the next check", exc)
            return False
        self.store = store
        return True
