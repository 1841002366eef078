"""httpx clients on the shared trust: creating one costs microseconds, not a 16 ms context build."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .defaults import default_store
from .errors import CatrustError

if TYPE_CHECKING:
    import ssl

    import httpx

_REFUSED = {
    "verify": "catrust already supplies verification; to turn it off, build httpx.Client(verify=False) yourself",
    "cert": "httpx would load the client certificate into the shared context, changing it for every client",
}


def httpx_client(**kwargs: Any) -> httpx.Client:
    """`httpx.Client(**kwargs)` verifying with the shared context (system roots plus custom CAs)."""
    import httpx

    return httpx.Client(verify=_context(kwargs), **kwargs)


def httpx_async_client(**kwargs: Any) -> httpx.AsyncClient:
    """`httpx.AsyncClient(**kwargs)` verifying with the shared context."""
    import httpx

    return httpx.AsyncClient(verify=_context(kwargs), **kwargs)


def _context(kwargs: dict[str, Any]) -> ssl.SSLContext:
    for name, why in _REFUSED.items():
        if name in kwargs:
            raise CatrustError(f"httpx_client() does not take {name}=: {why}")
    # httpcore sets ALPN on the context per connection: give HTTP/1.1-only and HTTP/2 clients
    # separate shared contexts so they never fight over it, and keep ssl_context() free of it.
    alpn = ("http/1.1", "h2") if kwargs.get("http2") else ("http/1.1",)
    return default_store().ssl_context(alpn=alpn)
