"""httpx clients on the shared trust: creating one costs microseconds, not a 16 ms context build.

A client keeps the context it was made with for its whole life, so the clients made here get a
`CurrentTrust` context: each new connection is wrapped by the shared context in force at that
moment. After a reload, new connections verify with the new trust; connections already open keep
the trust they were verified with until httpx closes them (idle ones after `keepalive_expiry`).
"""

from __future__ import annotations

import ssl
import threading
from typing import TYPE_CHECKING, Any

from .._process_trust import default_store
from ..errors import ConfigError

if TYPE_CHECKING:
    import httpx

_REFUSED = {
    "verify": "catrust supplies verification; for other TLS settings pass "
    "httpx.Client(verify=catrust.tls_context(..., alpn=catrust.HTTP11))",
    "cert": "httpx would load the client certificate into the shared context, changing it for every client",
}


class CurrentTrust(ssl.SSLContext):
    """Hands every new TLS connection to the process's shared context in force (for one ALPN list).

    httpcore uses a context only through `wrap_socket` (sync) and `wrap_bio` (async, via anyio),
    so those two delegate; each costs one lookup of the store in force (which may run a due check
    of the folders). This object's own settings are never used: it is a verifying client context
    with no anchors, so anything that bypassed the two methods would fail closed. httpcore's
    per-connection `set_alpn_protocols` lands here, harmlessly; the delegate is preset with `alpn`.
    """

    alpn: tuple[str, ...]

    def __new__(cls, alpn: tuple[str, ...]) -> CurrentTrust:
        ctx = super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)
        ctx.alpn = alpn
        return ctx

    def current(self) -> ssl.SSLContext:
        return default_store().ssl_context(alpn=self.alpn)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        return self.current().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        return self.current().wrap_bio(*args, **kwargs)


_lock = threading.Lock()
_following: dict[tuple[str, ...], CurrentTrust] = {}


def httpx_client(**kwargs: Any) -> httpx.Client:
    """`httpx.Client(**kwargs)` verifying with the shared trust in force (system roots plus custom CAs)."""
    import httpx

    return httpx.Client(verify=_context(kwargs), **kwargs)


def httpx_async_client(**kwargs: Any) -> httpx.AsyncClient:
    """`httpx.AsyncClient(**kwargs)` verifying with the shared trust in force."""
    import httpx

    return httpx.AsyncClient(verify=_context(kwargs), **kwargs)


def _context(kwargs: dict[str, Any]) -> CurrentTrust:
    for name, why in _REFUSED.items():
        if name in kwargs:
            raise ConfigError(f"httpx_client() does not take {name}=: {why}")
    default_store()  # load now: an invalid setting raises here, not at the first request
    # httpcore sets ALPN on the context per connection: give HTTP/1.1-only and HTTP/2 clients
    # separate shared contexts so they never fight over it, and keep ssl_context() free of it.
    alpn = ("http/1.1", "h2") if kwargs.get("http2") else ("http/1.1",)
    with _lock:
        if alpn not in _following:
            _following[alpn] = CurrentTrust(alpn)
        return _following[alpn]
