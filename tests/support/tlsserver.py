"""Real TLS servers on 127.0.0.1 for handshake tests: raw TLS and a minimal HTTPS responder."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator

import pytest

from tests.support.certkit import Leaf

NO_COMMON_VERSION = r"PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE"
NO_COMMON_CIPHER = r"HANDSHAKE_FAILURE|NO_SHARED_CIPHER|alert handshake failure|NO_CIPHERS_AVAILABLE"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def server_context(leaf: Leaf) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        chain, key = os.path.join(tmp, "chain.pem"), os.path.join(tmp, "key.pem")
        with open(chain, "wb") as f:
            f.write(leaf.chain_pem)
        with open(key, "wb") as f:
            f.write(leaf.key_pem)
        ctx.load_cert_chain(chain, key)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


@contextlib.contextmanager
def serving(ctx: ssl.SSLContext, handle: Callable[[ssl.SSLSocket], None]) -> Iterator[int]:
    """Accept on 127.0.0.1 with `ctx`; each connection is handshaken and given to `handle` in its own
    thread (a refused handshake just ends it). Yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve_one(conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(10)
            with ctx.wrap_socket(conn, server_side=True) as tls:
                handle(tls)

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def tls_server(leaf: Leaf, ctx: ssl.SSLContext | None = None) -> contextlib.AbstractContextManager[int]:
    """Serve `leaf` on 127.0.0.1; every connection gets a handshake and a tiny HTTP 200. Yields the port."""

    def answer(tls: ssl.SSLSocket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(4096)
            if not chunk:
                return
            data += chunk
        tls.sendall(RESPONSE)

    return serving(ctx or server_context(leaf), answer)


def handshake(ctx: ssl.SSLContext, port: int, hostname: str = "localhost") -> None:
    """Complete a TLS handshake and one HTTP exchange; raises ssl.SSLCertVerificationError when not trusted."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=hostname) as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert tls.recv(4096).startswith(b"HTTP/1.1 200")


@contextlib.contextmanager
def refused_before_verification(match: str) -> Iterator[None]:
    """A handshake refused for `match` (a TLS version, a cipher suite), never for the certificate.

    `pytest.raises(ssl.SSLError)` alone would also pass on ssl.SSLCertVerificationError, its subclass:
    a test meant to prove a version rule would then pass on an untrusted certificate.
    """
    with pytest.raises(ssl.SSLError, match=match) as refused:
        yield
    assert not isinstance(refused.value, ssl.SSLCertVerificationError), refused.value
