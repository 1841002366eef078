"""A mutual-TLS server on 127.0.0.1 that says which client certificate it saw, and a client for it."""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
from dataclasses import dataclass

from tests.support.tlsserver import serving


def mtls_server(ctx: ssl.SSLContext) -> contextlib.AbstractContextManager[int]:
    """Serve with `ctx`; each connection gets the SHA-256 of the client's certificate. Yields the port."""

    def answer(tls: ssl.SSLSocket) -> None:
        peer = tls.getpeercert(binary_form=True) or b""
        tls.sendall(hashlib.sha256(peer).hexdigest().encode())

    return serving(ctx, answer)


@dataclass(frozen=True)
class Seen:
    server_cert: str  # SHA-256 of the certificate the server presented
    client_cert: str  # SHA-256 of the certificate the server saw from us


def connect(ctx: ssl.SSLContext, port: int, hostname: str = "svc.ns.svc") -> Seen:
    """One handshake and the server's answer. With TLS 1.3 a refused client certificate shows up
    as an alert on the first read, so the answer is always read."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname=hostname) as tls,
    ):
        answer = tls.recv(64)
        if not answer:
            raise ConnectionError("the server closed the connection without answering")
        server = tls.getpeercert(binary_form=True) or b""
        return Seen(hashlib.sha256(server).hexdigest(), answer.decode())
