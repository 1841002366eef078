"""Turn a set of trust anchors into a client `ssl.SSLContext`, configured once and then only shared."""

from __future__ import annotations

import hashlib
import logging
import ssl
from collections.abc import Sequence

log = logging.getLogger("catrust")


def build(ders: Sequence[bytes], *, min_version: ssl.TLSVersion, platform_store: bool = False,
          alpn: Sequence[str] | None = None) -> ssl.SSLContext:
    """A verifying client context trusting exactly `ders` (plus the OS store where one exists).

    Explicit anchors rather than `create_default_context(cafile=…)`, which would *replace*
    the system roots. VERIFY_X509_PARTIAL_CHAIN makes every anchor count on its own, so an
    intermediate whose root is absent works, as it does in Go's pool.
    """
    if platform_store:
        import truststore  # macOS/Windows only: on Linux it reloads paths on every handshake

        ctx: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname on
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    ctx.minimum_version = min_version
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if ders:
        try:
            ctx.load_verify_locations(cadata=b"".join(ders))
        except ssl.SSLError:
            _load_one_by_one(ctx, ders)
    return ctx


def _load_one_by_one(ctx: ssl.SSLContext, ders: Sequence[bytes]) -> None:
    """The bulk load stops at the first certificate OpenSSL refuses; skip just that one instead.

    Only system roots can get here (custom ones were parsed and judged already), and one odd
    root must not cost the process the roots after it. Reloading the ones already in is harmless.
    """
    for der in ders:
        try:
            ctx.load_verify_locations(cadata=der)
        except ssl.SSLError as exc:
            log.warning("OpenSSL refused a certificate (sha256 %s): %s", hashlib.sha256(der).hexdigest(), exc)
