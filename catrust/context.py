"""Turn a set of trust anchors into a client `ssl.SSLContext`, configured once and then only shared."""

from __future__ import annotations

import functools
import hashlib
import logging
import ssl
from collections.abc import Sequence
from typing import Any

log = logging.getLogger("catrust")


def build(ders: Sequence[bytes], *, min_version: ssl.TLSVersion, platform_store: bool = False,
          alpn: Sequence[str] | None = None, ciphers: str | None = None,
          server_name: str | None = None) -> ssl.SSLContext:
    """A verifying client context trusting exactly `ders` (plus the OS store where one exists).

    Explicit anchors rather than `create_default_context(cafile=…)`, which would *replace*
    the system roots. VERIFY_X509_PARTIAL_CHAIN makes every anchor count on its own, so an
    intermediate whose root is absent works, as it does in Go's pool. With `server_name`, every
    connection verifies that name whatever the caller passes, like Go's `tls.Config.ServerName`.
    """
    ctx: ssl.SSLContext = _context_class(platform_store, server_name is not None)(ssl.PROTOCOL_TLS_CLIENT)
    if server_name is not None:
        ctx.catrust_server_name = server_name  # type: ignore[attr-defined]
    if not platform_store:  # truststore verifies with the platform's own chain builder
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    ctx.minimum_version = min_version
    if ciphers:
        ctx.set_ciphers(ciphers)
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


class _PinnedServerName:
    """Mixin: verify (and send as SNI) the configured name instead of the one the caller passes."""

    catrust_server_name: str

    def wrap_socket(self, sock: Any, server_side: bool = False, do_handshake_on_connect: bool = True,
                    suppress_ragged_eofs: bool = True, server_hostname: str | None = None,
                    session: Any = None) -> ssl.SSLSocket:
        return super().wrap_socket(  # type: ignore[misc,no-any-return]
            sock, server_side, do_handshake_on_connect, suppress_ragged_eofs, self.catrust_server_name, session)

    def wrap_bio(self, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO, server_side: bool = False,
                 server_hostname: str | None = None, session: Any = None) -> ssl.SSLObject:
        return super().wrap_bio(  # type: ignore[misc,no-any-return]
            incoming, outgoing, server_side, self.catrust_server_name, session)


@functools.cache
def _context_class(platform_store: bool, pinned_name: bool) -> type[ssl.SSLContext]:
    base: type[ssl.SSLContext] = ssl.SSLContext
    if platform_store:
        import truststore  # macOS/Windows only: on Linux it reloads paths on every handshake

        base = truststore.SSLContext
    if not pinned_name:
        return base
    return type(f"PinnedName{base.__name__}", (_PinnedServerName, base), {})
