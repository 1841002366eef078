"""Mutual TLS between a system's own components, following certificate rotation without a restart.

A context is never reconfigured once in use (calling `load_cert_chain` on a shared context races
with handshakes). A change in the folder builds new contexts and swaps a reference instead:

- the server context you get is one object for the life of the process; its `sni_callback`,
  which OpenSSL runs for every handshake (with or without SNI) before choosing a certificate,
  points the connection at the newest inner context: its certificate, key and CA store;
- `client_context()` returns the newest client context: take it for each new connection.

Change detection is three `stat` calls per handshake; a rebuild happens only when they change.
A new set that fails the checks in `certcheck` is logged and skipped: handshakes go on with the
last good set, and it is tried again when the files change or after RETRY_SECONDS.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial

from cryptography.hazmat.primitives import serialization

from .. import _context as context
from .. import _keys as keys
from .. import _options as settings
from ..errors import CertFolderError
from . import folder as certdir
from .check import Inspection, inspect
from .folder import TLS_CRT, Signature

log = logging.getLogger("catrust")

RETRY_SECONDS = 10.0


class MutualTLS:
    """Server and client contexts for one certificate folder (`ca.crt`, `tls.crt`, `tls.key`).

    Peers must present a certificate from a CA in `ca.crt`; the minimum version comes from
    `CATRUST_SERVICE_MIN_TLS_VERSION`, else `KEDA_SERVICE_MIN_TLS_VERSION`, else TLS 1.3, and the
    TLS 1.2 suites from `CATRUST_SERVICE_TLS_CIPHERS`, else `KEDA_SERVICE_TLS_CIPHER_LIST`.
    Raises CertFolderError when the folder does not hold a usable set now.
    """

    def __init__(self, cert_dir: str | os.PathLike[str], *, min_version: ssl.TLSVersion | None = None) -> None:
        self.cert_dir = os.fspath(cert_dir)
        self.min_version = settings.service_min_tls_version() if min_version is None else min_version
        ciphers = settings.service_tls_ciphers()
        self._server = _Newest(
            self.cert_dir,
            partial(
                _context,
                protocol=ssl.PROTOCOL_TLS_SERVER,
                ciphers=ciphers,
                min_version=self.min_version,
                sni_callback=self._choose,
            ),
        )
        self._client = _Newest(
            self.cert_dir,
            partial(_context, protocol=ssl.PROTOCOL_TLS_CLIENT, ciphers=ciphers, min_version=self.min_version),
        )
        self._outer = self._server.current()  # every server context carries the callback; the first serves

    def server_context(self) -> ssl.SSLContext:
        """The one server context to hand to `wrap_socket`, asyncio or a server library."""
        return self._outer

    def client_context(self) -> ssl.SSLContext:
        """The newest client context (presents `tls.crt`, trusts `ca.crt`, checks the hostname).

        A long-lived HTTP client keeps the context it was built with: rebuild it when this
        returns a different object, or take a context per connection.
        """
        return self._client.current()

    def _choose(self, conn: ssl.SSLSocket | ssl.SSLObject, server_name: str | None, outer: ssl.SSLContext) -> None:
        inner = self._server.current()
        if inner is not outer:
            conn.context = inner


class _Newest:
    """The newest context built from the folder; rebuilt when the files' stat data changes."""

    def __init__(self, cert_dir: str, build: Callable[[Inspection], ssl.SSLContext]) -> None:
        self._dir = cert_dir
        self._build = build
        self._lock = threading.Lock()
        signature = certdir.signature(cert_dir)
        self._current: tuple[Signature, ssl.SSLContext] = (signature, self._load())
        # A set that failed: not tried again until it changes or RETRY_SECONDS pass (a read can fail for a moment).
        self._skipped: tuple[Signature, float] | None = None

    def _known(self, signature: Signature) -> bool:
        skipped = self._skipped
        return signature == self._current[0] or (
            skipped is not None and signature == skipped[0] and time.monotonic() < skipped[1]
        )

    def current(self) -> ssl.SSLContext:
        signature = certdir.signature(self._dir)
        if self._known(signature):
            return self._current[1]
        with self._lock:
            if self._known(signature):
                return self._current[1]
            try:
                ctx = self._load()
            except Exception as exc:  # noqa: BLE001 - this runs inside handshakes: never fail one over a reload
                again = self._skipped is not None and self._skipped[0] == signature
                self._skipped = (signature, time.monotonic() + RETRY_SECONDS)
                log.log(
                    logging.DEBUG if again else logging.WARNING,  # once per set, not every retry
                    "%s: keeping the certificates in use: %s",
                    self._dir,
                    exc,
                )
                return self._current[1]
            self._current = (signature, ctx)
            log.info("%s: the certificates changed; new handshakes use the new ones", self._dir)
            return ctx

    def _load(self) -> ssl.SSLContext:
        files = certdir.read(self._dir)
        checked = inspect(files, datetime.now(timezone.utc))
        if checked.problems:
            raise CertFolderError(f"the certificates in {self._dir} are not usable: {'; '.join(checked.messages)}")
        try:
            return self._build(checked)
        except (OSError, ssl.SSLError) as exc:  # the files changed again after the checks
            raise CertFolderError(f"cannot load the certificates in {files.folder}: {exc}") from None


def _context(
    checked: Inspection,
    protocol: int,
    min_version: ssl.TLSVersion,
    ciphers: str | None,
    sni_callback: Callable[[ssl.SSLSocket | ssl.SSLObject, str | None, ssl.SSLContext], None] | None = None,
) -> ssl.SSLContext:
    """Verification on, peer certificates required, our certificate presented: both ends alike.

    The CAs go in as the DER already parsed and checked; the chain by path, since `ssl` takes
    it no other way (from the one generation `checked` was read from); the key as read and checked.
    """
    ctx = context.new(protocol)
    ctx.minimum_version = min_version
    if ciphers:  # TLS 1.2 suites only: TLS 1.3's cannot be restricted, in Go or in Python
        ctx.set_ciphers(ciphers)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=b"".join(c.public_bytes(serialization.Encoding.DER) for c in checked.ca_certs))
    assert checked.key is not None  # a set without problems has a readable tls.key
    with keys.secret_file(keys.pkcs8_pem(checked.key)) as key_path:  # the key as read, whatever its PEM label
        ctx.load_cert_chain(checked.files.path(TLS_CRT), key_path, keys.never_prompt)
    if sni_callback is not None:  # switching contexts there does not run the new one's callback
        ctx.sni_callback = sni_callback
    return context.freeze(ctx)  # shared by every connection and caller: nobody may change it
