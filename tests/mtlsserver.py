"""A mutual-TLS server on 127.0.0.1 that says which client certificate it saw, and a client for it."""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass


@contextlib.contextmanager
def mtls_server(ctx: ssl.SSLContext) -> Iterator[int]:
    """Serve with `ctx`; each connection gets the SHA-256 of the client's certificate. Yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve_one(conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:  # refused handshakes are the point of some tests
            conn.settimeout(10)
            with ctx.wrap_socket(conn, server_side=True) as tls:
                peer = tls.getpeercert(binary_form=True) or b""
                tls.sendall(hashlib.sha256(peer).hexdigest().encode())

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


@dataclass(frozen=True)
class Seen:
    server_cert: str  # SHA-256 of the certificate the server presented
    client_cert: str  # SHA-256 of the certificate the server saw from us


def connect(ctx: ssl.SSLContext, port: int, hostname: str = "svc.ns.svc") -> Seen:
    """One handshake and the server's answer. With TLS 1.3 a refused client certificate shows up
    as an alert on the first read, so the answer is always read."""
    with (socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
          ctx.wrap_socket(raw, server_hostname=hostname) as tls):
        answer = tls.recv(64)
        if not answer:
            raise ConnectionError("the server closed the connection without answering")
        server = tls.getpeercert(binary_form=True) or b""
        return Seen(hashlib.sha256(server).hexdigest(), answer.decode())
