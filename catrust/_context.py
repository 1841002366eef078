"""SSL contexts configured once and then only shared: built from anchors and options here, frozen here."""

from __future__ import annotations

import functools
import hashlib
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import FrozenContextError

log = logging.getLogger("catrust")

# What an SDK could change on a context it is given, and so for every other client sharing it.
_GUARDED_SETTINGS = frozenset(
    {
        "check_hostname",
        "verify_mode",
        "verify_flags",
        "options",
        "minimum_version",
        "maximum_version",
        "sni_callback",
        "keylog_filename",
        "post_handshake_auth",
        "hostname_checks_common_name",
        "num_tickets",
        "sslsocket_class",
        "sslobject_class",
        "catrust_server_name",
        "catrust_alpn",
        "catrust_frozen",
        "_host_flags",
        "_msg_callback",
    }
)


@dataclass(frozen=True)
class TLSOptions:
    """Everything a client context is built from besides its anchors: options become a context in `build` only."""

    min_version: ssl.TLSVersion
    ciphers: str | None = None  # TLS 1.2 suites, OpenSSL syntax; already checked by _options
    platform_store: bool = False  # macOS/Windows: verify through the OS store (truststore)
    alpn: tuple[str, ...] = ()
    server_name: str | None = None  # verify this name whatever the caller dials (Go's tls.Config.ServerName)


def build(ders: Sequence[bytes], options: TLSOptions) -> ssl.SSLContext:
    """A verifying client context trusting exactly `ders` (plus the OS store where one exists).

    Explicit anchors rather than `create_default_context(cafile=…)`, which would *replace*
    the system roots. VERIFY_X509_PARTIAL_CHAIN makes every anchor count on its own, so an
    intermediate whose root is absent works, as it does in Go's pool. With a server name, every
    connection verifies that name whatever the caller passes.
    """
    pinned = options.server_name is not None
    ctx: ssl.SSLContext = _context_class(options.platform_store, pinned)(ssl.PROTOCOL_TLS_CLIENT)
    if options.server_name is not None:
        ctx.catrust_server_name = options.server_name  # type: ignore[attr-defined]
    if not options.platform_store:  # truststore verifies with the platform's own chain builder
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    ctx.minimum_version = options.min_version
    if options.ciphers:
        ctx.set_ciphers(options.ciphers)
    if options.alpn:
        ctx.set_alpn_protocols(list(options.alpn))
    load_anchors(ctx, ders)
    return ctx


def load_anchors(ctx: ssl.SSLContext, ders: Sequence[bytes]) -> None:
    """Add `ders` to what `ctx` trusts, in one load when OpenSSL takes them all, else one by one."""
    if ders:
        try:
            ctx.load_verify_locations(cadata=b"".join(ders))
        except (ssl.SSLError, ValueError):  # ValueError: a block with no bytes at all
            _load_one_by_one(ctx, ders)


def new(protocol: int) -> ssl.SSLContext:
    """An empty context of catrust's class, so that it can be frozen once configured."""
    return _context_class(False, False)(protocol)


def freeze(ctx: ssl.SSLContext) -> ssl.SSLContext:
    """From now on `ctx` refuses every change: it is about to be shared.

    SDKs configure the context they are given, per connection (urllib3 sets `verify_mode` and
    may clear `check_hostname`; httpx loads client certificates into it): on a shared context that
    would change, or switch off, verification for every other client. Setting a value to what it
    already is stays allowed, since that is what well-behaved SDKs do on every connection.
    """
    ctx.catrust_frozen = True  # type: ignore[attr-defined]
    return ctx


def _load_one_by_one(ctx: ssl.SSLContext, ders: Sequence[bytes]) -> None:
    """The bulk load stops at the first certificate OpenSSL refuses; skip just that one instead.

    Mostly system roots get here; a custom certificate that cryptography read but OpenSSL refuses
    can too, and is then logged here. Either way one odd certificate must not cost the others.
    Reloading the ones already in is harmless.
    """
    for der in ders:
        try:
            ctx.load_verify_locations(cadata=der)
        except (ssl.SSLError, ValueError) as exc:
            log.warning("OpenSSL refused a certificate (sha256 %s): %s", hashlib.sha256(der).hexdigest(), exc)


def _refuse(what: str) -> FrozenContextError:
    return FrozenContextError(
        f"refused to change {what} on a context catrust shares: the change would reach every client "
        "using it. Ask catrust.tls_context(...) for a context of your own (client certificate, extra CA, "
        "server name, TLS version, or unsafe_ssl=True by name)"
    )


_UNSET = object()


class _Guarded:
    """An SSLContext method that a frozen context refuses: looked up on the context, so the check runs per call."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, ctx: _Frozen | None, owner: type) -> Any:
        if ctx is None:
            return self
        if ctx.catrust_frozen:
            return functools.partial(_refused, f"{self.name}()")
        return getattr(super(_Frozen, ctx), self.name)


def _refused(what: str, *args: Any, **kwargs: Any) -> Any:
    raise _refuse(what)


class _Frozen:
    """Mixin for every context catrust builds: once `freeze()`d, settings and loads are refused."""

    catrust_frozen = False
    catrust_alpn: tuple[str, ...] = ()

    def __setattr__(self, name: str, value: Any) -> None:
        if self.catrust_frozen and name in _GUARDED_SETTINGS and getattr(self, name, _UNSET) != value:
            raise _refuse(name)  # an unset one too: catrust_server_name on a context that pins no name
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if self.catrust_frozen and name in _GUARDED_SETTINGS:
            raise _refuse(name)
        super().__delattr__(name)

    def set_alpn_protocols(self, protocols: Sequence[str]) -> None:
        if self.catrust_frozen:
            if tuple(protocols) != self.catrust_alpn:  # the same list, set per connection, is a no-op
                raise FrozenContextError(
                    f"refused to set the ALPN protocols to {list(protocols)} on a context catrust shares, built "
                    f"with {list(self.catrust_alpn)}: ask for one built with them, as ssl_context(alpn=...) or "
                    "tls_context(..., alpn=...); for httpx use catrust.httpx_client()"
                )
            return
        super().set_alpn_protocols(protocols)  # type: ignore[misc]
        self.catrust_alpn = tuple(protocols)

    # Every method that loads trust or configures the handshake.
    load_cert_chain = _Guarded()
    load_verify_locations = _Guarded()
    load_default_certs = _Guarded()
    set_default_verify_paths = _Guarded()
    set_ciphers = _Guarded()
    set_ecdh_curve = _Guarded()
    load_dh_params = _Guarded()
    set_servername_callback = _Guarded()
    set_npn_protocols = _Guarded()
    _set_alpn_protocols = _Guarded()
    set_psk_client_callback = _Guarded()
    set_psk_server_callback = _Guarded()


class _PinnedServerName:
    """Mixin: verify (and send as SNI) the configured name instead of the one the caller passes."""

    catrust_server_name: str

    def wrap_socket(
        self,
        sock: Any,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | None = None,
        session: Any = None,
    ) -> ssl.SSLSocket:
        return super().wrap_socket(  # type: ignore[misc,no-any-return]
            sock, server_side, do_handshake_on_connect, suppress_ragged_eofs, self.catrust_server_name, session
        )

    def wrap_bio(
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | None = None,
        session: Any = None,
    ) -> ssl.SSLObject:
        return super().wrap_bio(  # type: ignore[misc,no-any-return]
            incoming, outgoing, server_side, self.catrust_server_name, session
        )


@functools.cache
def _context_class(platform_store: bool, pinned_name: bool) -> type[ssl.SSLContext]:
    base: type[ssl.SSLContext] = ssl.SSLContext
    if platform_store:
        import truststore  # macOS/Windows only: on Linux it reloads paths on every handshake

        base = truststore.SSLContext
    mixins: tuple[type, ...] = (_Frozen, _PinnedServerName) if pinned_name else (_Frozen,)
    return type(f"Catrust{base.__name__}", (*mixins, base), {})
