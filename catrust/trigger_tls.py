"""Per-trigger TLS, like KEDA's NewTLSConfigWithPassword, built on the shared trust without touching it.

In KEDA a per-trigger CA was appended to the shared pool: it leaked into every other trigger
and crashed with concurrent map writes. Here every call gets a new context of its own (cached
by its inputs, so repeated calls build nothing), and the shared context is never modified.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import logging
import os
import ssl
import sys
import tempfile
import threading
import weakref
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from . import settings
from .context import freeze
from .defaults import default_store
from .errors import CatrustError
from .model import Rejection
from .scan import read_bytes
from .store import TrustStore, judge_file, describe

log = logging.getLogger("catrust")

Material = str | bytes | os.PathLike[str]  # PEM text/bytes, DER bytes (CA only), or a path to a file
_CACHE_SIZE = 64
_MAX_MATERIAL = 1024 * 1024
_cache: weakref.WeakKeyDictionary[TrustStore, collections.OrderedDict[str, ssl.SSLContext]] = \
    weakref.WeakKeyDictionary()
_lock = threading.Lock()
_warned_unsafe: set[str] = set()
HTTP11 = ("http/1.1",)  # what httpx (without http2), urllib3 and requests set on every connection


def tls_context(*, ca: Material | None = None, cert: Material | None = None, key: Material | None = None,
                password: str | bytes | None = None, server_name: str | None = None,
                min_version: str | ssl.TLSVersion | None = None, unsafe_ssl: bool | str = False,
                target: str | None = None, alpn: Sequence[str] = (),
                store: TrustStore | None = None) -> ssl.SSLContext:
    """A client context for one trigger: the shared trust plus an extra CA and/or a client certificate.

    `ca` is judged by the same policy as the CA folder; a rejected one is an error, not a
    silent gap. `key` may be encrypted (PKCS#8 or traditional PEM) with `password`. With
    `server_name`, that name is verified whatever host the client dials. `unsafe_ssl` turns
    verification off only when asked for by name (`True` or a Go-style boolean string), and says
    so once per `target` at WARNING. The result is cached and shared, so it is frozen: an HTTP
    client sets ALPN on the context it gets, so give it `alpn=HTTP11` (httpx, urllib3, requests).
    """
    store = store or default_store()
    unsafe = settings.parse_bool(unsafe_ssl, "unsafe_ssl")
    version = settings.tls_version(min_version) if min_version is not None else None
    if key is not None and cert is None:
        raise CatrustError("a client key was given without its certificate (cert=)")
    ca_data = _read(ca, "ca") if ca is not None else None
    cert_data = _read(cert, "cert") if cert is not None else None
    key_data = _read(key, "key") if key is not None else None
    alpn = tuple(alpn)
    cache_key = hashlib.sha256(repr((ca_data, cert_data, key_data, password, server_name, version, unsafe, alpn))
                               .encode()).hexdigest()
    if unsafe:
        _warn_unsafe(target or server_name or "(unnamed target)", store)
    with _lock:
        per_store = _cache.setdefault(store, collections.OrderedDict())
        ctx = per_store.get(cache_key)
        if ctx is not None:
            per_store.move_to_end(cache_key)
            return ctx
    ctx = _build(store, ca_data, cert, cert_data, key, key_data, password, server_name, version, unsafe, alpn)
    with _lock:
        per_store[cache_key] = ctx
        while len(per_store) > _CACHE_SIZE:
            per_store.popitem(last=False)
    return ctx


def _build(store: TrustStore, ca_data: bytes | None, cert: Material | None, cert_data: bytes | None,
           key: Material | None, key_data: bytes | None, password: str | bytes | None,
           server_name: str | None, version: ssl.TLSVersion | None, unsafe: bool,
           alpn: tuple[str, ...]) -> ssl.SSLContext:
    if unsafe:
        ctx = store.new_context([], min_version=version, alpn=alpn)
        ctx.check_hostname = False  # unsafe_ssl=True was asked for by name
        ctx.verify_mode = ssl.CERT_NONE  # unsafe_ssl=True was asked for by name
    else:
        extra = _judge_ca(ca_data) if ca_data is not None else []
        ctx = store.new_context(extra, min_version=version, server_name=server_name, alpn=alpn)
    if cert is not None and cert_data is not None:
        if key_data is not None:
            _check_key(key_data, password)
        with _as_file(cert, cert_data) as cert_path, _as_file(key, key_data) as key_path:
            assert cert_path is not None
            try:
                ctx.load_cert_chain(cert_path, key_path, password)
            except ssl.SSLError as exc:
                raise CatrustError(_client_cert_problem(exc)) from None
    return freeze(ctx)  # cached, so shared by every caller with the same inputs


def _judge_ca(data: bytes) -> list[bytes]:
    items = judge_file("ca", data, datetime.now(timezone.utc)).verdicts
    refused = [describe(i) for i in items if isinstance(i, Rejection)]
    accepted = [i.der for i in items if not isinstance(i, Rejection)]
    if refused or not accepted:
        raise CatrustError("the trigger's CA was refused: " + ("; ".join(refused) or "it holds no certificate"))
    return accepted


def _read(material: Material, name: str) -> bytes:
    """Inline PEM (str or bytes) is used as is; anything else is a path to read, without ever blocking.

    A `key` that is neither is never echoed: it may be key material that lost its BEGIN line.
    """
    if isinstance(material, bytes):
        return material
    if isinstance(material, str) and "-----BEGIN" in material:
        return material.encode()
    path = os.fspath(material)
    if name != "key":
        return read_bytes(path, _MAX_MATERIAL, f"{name} file")
    try:
        return read_bytes(path, _MAX_MATERIAL, "key file")
    except CatrustError:
        raise CatrustError("key= is neither PEM text nor a readable file (its value is not shown)") from None


@contextlib.contextmanager
def _as_file(material: Material | None, data: bytes | None) -> Iterator[str | None]:
    """A path OpenSSL can read holding exactly `data`, the bytes already read and checked.

    ssl can only load a client certificate and key from files, and opening the caller's path a
    second time could block (a FIFO) or load another key than the one checked. On Linux the bytes
    go to an anonymous memory file (never to disk); elsewhere a caller's own file is used as is,
    and inline material goes to a private temporary file that is removed at once.
    """
    if material is None or data is None:
        yield None
        return
    if hasattr(os, "memfd_create") and sys.platform.startswith("linux"):  # exactly the bytes read and checked
        fd = os.memfd_create("catrust-client", os.MFD_CLOEXEC)
        try:
            os.write(fd, data)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    if not isinstance(material, bytes) and not (isinstance(material, str) and "-----BEGIN" in material):
        yield os.fspath(material)
        return
    with tempfile.TemporaryDirectory(prefix="catrust-") as folder:  # created 0700
        path = os.path.join(folder, "material.pem")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(data)
        yield path


def _check_key(data: bytes, password: str | bytes | None) -> None:
    """OpenSSL says only "PEM lib" for a wrong password or a damaged key; cryptography can say which."""
    secret = password.encode() if isinstance(password, str) else password
    try:
        serialization.load_pem_private_key(data, secret)
    except TypeError:
        if secret is None:
            raise CatrustError("the client key is encrypted: pass its password") from None
        raise CatrustError("the client key is not encrypted, but a password was given") from None
    except ValueError as exc:
        if secret is not None and "decrypt" in str(exc).lower():
            raise CatrustError("the client key cannot be decrypted: is the password right?") from None
        raise CatrustError("the client key is not a readable PEM private key") from None
    except UnsupportedAlgorithm:
        raise CatrustError("the client key uses an algorithm that cannot be loaded") from None


def _client_cert_problem(exc: ssl.SSLError) -> str:
    text = str(exc)
    if "KEY_VALUES_MISMATCH" in text or "key values mismatch" in text:
        return "the client certificate and key do not match"
    return f"the client certificate or key cannot be loaded ({exc.reason or text})"


def _warn_unsafe(target: str, store: TrustStore) -> None:
    with _lock:
        if target in _warned_unsafe:
            return
        _warned_unsafe.add(target)
    hint = (f"put its CA certificate in {os.pathsep.join(store.ca_dirs)} (or pass ca=) and drop unsafe_ssl: "
            "the custom CA makes it unnecessary")
    log.warning("TLS verification is OFF for %s because unsafe_ssl was set: any certificate is accepted, "
                "including an attacker's; %s", target, hint)
