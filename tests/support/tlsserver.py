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

    def serve_one(conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.settimeout(10)
            with ctx.wrap_socket(conn, server_side=True) as tls:
                handle(tls)

    with accepting(serve_one) as port:
        yield port


@contextlib.contextmanager
def accepting(serve_one: Callable[[socket.socket], None]) -> Iterator[int]:
    """Accept TCP connections on 127.0.0.1, each given to `serve_one` in its own thread. Yields the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

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


class Handshakes:
    """What a recording server saw: "verified" for each handshake the client completed, else OpenSSL's reason."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.outcomes: list[str] = []
        self.busy = 0  # connections accepted whose handshake has no outcome yet
        self.changed = threading.Condition()

    def verdict(self, start: int = 0) -> str:
        """ "verified" when a client accepted the certificate and none refused it (since outcome `start`),
        "refused: <reasons>" when none accepted it, "mixed: …" or "no handshake" otherwise.
        Waits for handshakes still under way: a client may give up before the server thread has recorded."""
        with self.changed:
            self.changed.wait_for(lambda: self.busy == 0, timeout=15)
            seen = self.outcomes[start:]
        accepted = [o for o in seen if o == "verified"]
        refused = sorted({o for o in seen if o != "verified"})
        if accepted and not refused:
            return "verified"
        if refused and not accepted:
            return "refused: " + ", ".join(refused)
        return f"mixed: {seen}" if seen else "no handshake"

    def record(self, outcome: str | None) -> None:
        with self.changed:
            if outcome is None:
                self.busy += 1
            else:
                self.busy -= 1
                self.outcomes.append(outcome)
            self.changed.notify_all()


@contextlib.contextmanager
def recording_server(leaf: Leaf) -> Iterator[Handshakes]:
    """Serve `leaf` and record each handshake's outcome, for clients whose protocol no server here speaks
    (Kafka, MongoDB): completing the TLS handshake proves the client accepted the certificate. An HTTP
    request still gets the tiny 200."""
    ctx = server_context(leaf)
    record: Handshakes

    def handle(conn: socket.socket) -> None:
        record.record(None)
        with contextlib.suppress(OSError), conn:
            conn.settimeout(10)
            with ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False) as tls:
                try:
                    tls.do_handshake()
                except ssl.SSLError as exc:
                    record.record(exc.reason or str(exc))
                    return
                except OSError as exc:  # the client hung up without an alert
                    record.record(f"closed: {exc.__class__.__name__}")
                    return
                record.record("verified")
                tls.settimeout(2)
                if tls.recv(4096).startswith((b"GET ", b"HEAD ", b"POST ")):
                    tls.sendall(RESPONSE)

    with accepting(handle) as port:
        record = Handshakes(port)
        yield record
