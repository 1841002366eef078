"""Per-trigger TLS, like KEDA's NewTLSConfigWithPassword, built on the shared trust without touching it.

In KEDA a per-trigger CA was appended to the shared pool: it leaked into every other trigger
and crashed with concurrent map writes. Here every call gets a new context of its own (cached
by its inputs, so repeated calls build nothing), and the shared context is never modified.
"""

from __future__ import annotations

import collections
import hashlib
import logging
import os
import ssl
import threading
import weakref
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import NamedTuple

from . import _keys as keys
from . import _options as settings
from ._context import freeze
from ._files import MAX_FILE_SIZE, read_bytes
from ._process_trust import default_store
from ._trust.judge import judge_file
from ._trust.model import Rejection, describe
from ._trust.parse import parse
from ._trust.store import TrustStore
from .errors import ConfigError, FileError, KeyMaterialError

log = logging.getLogger("catrust")

Material = str | bytes | os.PathLike[str]  # PEM text/bytes, DER bytes (CA only), or a path to a file
_CACHE_SIZE = 64
_cache: weakref.WeakKeyDictionary[TrustStore, collections.OrderedDict[str, ssl.SSLContext]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()
_warned_unsafe: set[str] = set()
HTTP11 = ("http/1.1",)  # what httpx (without http2), urllib3 and requests set on every connection


def tls_context(
    *,
    ca: Material | None = None,
    cert: Material | None = None,
    key: Material | None = None,
    password: str | bytes | None = None,
    server_name: str | None = None,
    min_version: str | ssl.TLSVersion | None = None,
    unsafe_ssl: bool | str = False,
    target: str | None = None,
    alpn: Sequence[str] = (),
    store: TrustStore | None = None,
) -> ssl.SSLContext:
    """A client context for one trigger: the shared trust plus an extra CA and/or a client certificate.

    `ca` is judged by the same policy as the CA folder; a rejected one is an error, not a
    silent gap. `key` may be encrypted (PKCS#8 or traditional PEM) with `password`. With
    `server_name`, that name is verified whatever host the client dials. `unsafe_ssl` turns
    verification off only when asked for by name (`True` or a Go-style boolean string), and says
    so once per `target` at WARNING. The result is cached and shared, so it is frozen: an HTTP
    client sets ALPN on the context it gets, so give it `alpn=HTTP11` (httpx, urllib3, requests).
    """
    store = store or default_store()
    unsafe = _unsafe(unsafe_ssl)
    version = settings.tls_version(min_version) if min_version is not None else None
    if key is not None and cert is None:
        raise ConfigError("a client key was given without its certificate (cert=)")
    ca_data = read_material(ca, "ca") if ca is not None else None
    cert_data = read_material(cert, "cert") if cert is not None else None
    key_data = read_material(key, "key") if key is not None else None
    alpn = tuple(alpn)
    cache_key = hashlib.sha256(
        repr((ca_data, cert_data, key_data, password, server_name, version, unsafe, alpn)).encode()
    ).hexdigest()
    if unsafe:
        _warn_unsafe(target or server_name or "(unnamed target)", store)
    with _lock:
        per_store = _cache.setdefault(store, collections.OrderedDict())
        ctx = per_store.get(cache_key)
        if ctx is not None:
            per_store.move_to_end(cache_key)
            return ctx
    client = _client(cert_data, key_data) if cert_data is not None else None  # parsed on a cache miss only
    ctx = _build(store, ca_data, client, password, server_name, version, unsafe, alpn)
    with _lock:
        per_store[cache_key] = ctx
        while len(per_store) > _CACHE_SIZE:
            per_store.popitem(last=False)
    return ctx


def _build(
    store: TrustStore,
    ca_data: bytes | None,
    client: _Client | None,
    password: str | bytes | None,
    server_name: str | None,
    version: ssl.TLSVersion | None,
    unsafe: bool,
    alpn: tuple[str, ...],
) -> ssl.SSLContext:
    if unsafe:
        ctx = store.new_context([], min_version=version, alpn=alpn)
        ctx.check_hostname = False  # unsafe_ssl=True was asked for by name
        ctx.verify_mode = ssl.CERT_NONE  # unsafe_ssl=True was asked for by name
    else:
        extra = _judge_ca(ca_data) if ca_data is not None else []
        ctx = store.new_context(extra, min_version=version, server_name=server_name, alpn=alpn)
    if client is not None:
        _load_client_cert(ctx, client, password)
    return freeze(ctx)  # cached, so shared by every caller with the same inputs


class _Client(NamedTuple):
    chain_pem: bytes  # the certificates only, in order, as the PEM OpenSSL wants (DER input works too)
    key_source: bytes  # what holds the key: the key's own data, or the certificate file holding both


def _client(cert_data: bytes, key_data: bytes | None) -> _Client:
    """Say what is wrong in words before OpenSSL can: its own message for both is "PEM lib"."""
    blocks = parse("cert", cert_data).blocks
    chain = "".join(ssl.DER_cert_to_PEM_cert(block.der) for block in blocks if block.cert is not None).encode()
    if not chain:
        raise KeyMaterialError("cert= holds no certificate catrust can read (PEM or DER)")
    if key_data is None and not keys.holds_key(cert_data):
        raise ConfigError("a client certificate was given without its key (key=, or one file holding both)")
    return _Client(chain, key_data if key_data is not None else cert_data)


def _load_client_cert(ctx: ssl.SSLContext, client: _Client, password: str | bytes | None) -> None:
    """The key is read by content (any PEM label, as KEDA) and OpenSSL gets a plain PKCS#8 copy.

    OpenSSL reads only these copies, so it never finds an encrypted key and prompts for its pass phrase.
    """
    secret = _utf8(password, "password") if isinstance(password, str) else password
    key_pem = keys.pkcs8_pem(keys.load_private_key(client.key_source, secret or None, "the client key"))
    with keys.secret_file(client.chain_pem) as cert_path, keys.secret_file(key_pem) as key_path:
        assert cert_path is not None and key_path is not None
        try:
            ctx.load_cert_chain(cert_path, key_path, keys.never_prompt)
        except ssl.SSLError as exc:
            raise KeyMaterialError(_client_cert_problem(exc)) from None


def _judge_ca(data: bytes) -> list[bytes]:
    items = judge_file("ca", data, datetime.now(timezone.utc)).verdicts  # never raises: odd input is a verdict
    refused = [describe(i) for i in items if isinstance(i, Rejection)]
    accepted = [i.der for i in items if not isinstance(i, Rejection)]
    if refused:  # any input gives at least one verdict: an empty one is "is empty"
        raise KeyMaterialError("the trigger's CA was refused: " + "; ".join(refused))
    return accepted


def read_material(material: Material, name: str) -> bytes:
    """Inline PEM (str or bytes) is used as is; anything else is a path to read, without ever blocking.

    A value that names no existing file is never echoed: it may be key material that lost its
    BEGIN line. A `key` path is not named even when it exists.
    """
    if isinstance(material, bytes):
        return material
    if isinstance(material, str) and "-----BEGIN" in material:
        return _utf8(material, name)
    path = os.fspath(material)
    try:
        return read_bytes(path, MAX_FILE_SIZE, f"{name} file")
    except FileError:
        if name == "key" or not os.path.lexists(path):
            raise KeyMaterialError(
                f"{name}= is neither PEM text nor a readable file (its value is not shown)"
            ) from None
        raise


def _utf8(text: str, name: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError:  # lone surrogates, from undecodable bytes: not shown, it may be a secret
        raise KeyMaterialError(f"{name}= is not valid text (its value is not shown)") from None


def _client_cert_problem(exc: ssl.SSLError) -> str:
    if exc.reason == "KEY_VALUES_MISMATCH":
        return "the client certificate and key do not match"
    return f"the client certificate or key cannot be loaded ({exc.reason or exc})"


def _unsafe(value: bool | str) -> bool:
    """KEDA trims `unsafeSsl` and reads an empty value as unset, then applies Go's ParseBool."""
    if isinstance(value, str):
        value = value.strip() or False
    return settings.parse_bool(value, "unsafe_ssl")


def _warn_unsafe(target: str, store: TrustStore) -> None:
    with _lock:
        if target in _warned_unsafe:
            return
        _warned_unsafe.add(target)
    hint = (
        f"put its CA certificate in {os.pathsep.join(store.ca_dirs)} (or pass ca=) and drop unsafe_ssl: "
        "the custom CA makes it unnecessary"
    )
    log.warning(
        "TLS verification is OFF for %s because unsafe_ssl was set: any certificate is accepted, "
        "including an attacker's; %s",
        target,
        hint,
    )


def _reset() -> None:
    """Forget the cached contexts and the targets already warned about (tests start from a clean slate)."""
    with _lock:
        _cache.clear()
        _warned_unsafe.clear()
