"""Process-wide additive trust: every default way Python libraries find roots yields catrust's store.

What `inject()` changes, each put back by `extract()`:

- `ssl.SSLContext.load_default_certs`, for server authentication: what `ssl.create_default_context()`
  calls when given no CA, and what urllib3, kafka-python and pymongo call. It loads the store in
  force (system roots plus accepted custom CAs) into the caller's own new context. One method of
  the standard class is replaced, no subclass is swapped in: `isinstance` checks, contexts already
  made and other patches keep working, and no context anyone holds is changed.
- `certifi.where()` and `certifi.contents()`, and the copies modules made of them at import
  (requests' `DEFAULT_CA_BUNDLE_PATH`, elastic-transport's `DEFAULT_CA_CERTS`, botocore's `where`):
  the merged bundle file, which each change rewrites in place. `certifi.core` stays Mozilla's:
  catrust reads its fallback roots there.
- Contexts a library builds once (aiohttp's at import, urllib's opener's at the first `urlopen()` on
  Python 3.12+): rebuilt now and after each change, so they follow the folder too (`_library_caches`).

Left alone, on purpose: whatever a caller passes (`cafile`, `cadata`, `capath`, a context,
`verify=`), unverified contexts, verify flags, and `Purpose.CLIENT_AUTH` (a server verifying its
clients): the folder says which upstreams to trust, not who may connect.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import certifi.core

from . import _process_trust
from ._context import load_anchors
from ._exported_env import MERGED_BUNDLE_VARS, system_cert_file
from ._exported_env import environ as exported_environ
from ._library_caches import (
    module_namespaces,
    rebuild_prebuilt,
    refresh_urllib,
    restore_prebuilt,
    stale_contexts,
    trust_of,
    urllib_handlers_built_with,
    warn_about,
)
from ._text import exception_text, printable
from ._trust.bundle import is_catrust_bundle
from ._trust.store import TrustStore

log = logging.getLogger("catrust")
T = TypeVar("T")

_SSLContext = ssl.SSLContext  # the class patched, as it was when catrust was imported
# What load_default_certs was before inject() (Python's, or another library's patch): ours falls back to it.
_previous_load_default_certs = _SSLContext.load_default_certs


@dataclass
class _Injection:
    """What one `inject()` changed, so that `extract()` can put exactly that back."""

    bundle: str | None  # the merged bundle file, or None when it could not be written
    unregister: Callable[[], None]
    store: TrustStore  # the store contexts were last built from
    modules: frozenset[str] = field(default_factory=lambda: frozenset(sys.modules))  # loaded at inject()
    paths: set[tuple[str, str]] = field(default_factory=set)  # module globals inject() pointed at the bundle
    replaced: dict[tuple[str, str], object] = field(default_factory=dict)  # prebuilt contexts, as they were
    environ: dict[str, str | None] = field(default_factory=dict)  # variables inject() set, as they were
    exported: bool = False  # inject(environ=True): every variable `catrust env` prints is set


_injection: _Injection | None = None
_said: set[str] = set()  # fallback warnings already logged since the last inject()


def inject(*, environ: bool = False) -> None:
    """Make every default way this process finds CA roots yield the system roots plus the custom CAs.

    After it, `ssl.create_default_context()`, `load_default_certs()`, `certifi.where()` and the values
    libraries cached from them carry catrust's trust, verification on, and follow each change of
    the folders. Additive only: a caller that names its own CA or context gets exactly that.
    `environ=True` also sets the variables `catrust env` prints, for child programs. Idempotent,
    thread-safe; `extract()` undoes it. Raises `ConfigError` for a bad `CATRUST_*` setting, with
    nothing changed.
    """
    global _injection, _previous_load_default_certs
    with _process_trust._check_lock:  # the checks' lock: a change's callback never runs halfway through
        store = _process_trust.default_store()  # a bad setting raises here, before anything is patched
        exported = exported_environ() if environ and not (_injection and _injection.exported) else None
        if _injection is None:
            _said.clear()
            bundle = _in_force(_process_trust.ca_bundle_path, "values libraries copied from certifi keep its roots")
            system = _system_ders(store)
            defaults = functools.cache(_python_default_trust)  # read before anything changes, at most once
            stale = urllib_handlers_built_with(defaults, system)
            stale_elsewhere = stale_contexts(defaults, system)
            _injection = _Injection(bundle, _process_trust.on_change(_after_change), store)
            if _SSLContext.__dict__.get("load_default_certs") is not _load_default_certs:
                _previous_load_default_certs = _SSLContext.load_default_certs
            _SSLContext.load_default_certs = _load_default_certs  # type: ignore[method-assign]
            _injection.paths = _swap_module_values(  # certifi.where, .contents, and every copy modules made
                {id(certifi.core.where): _where, id(certifi.core.contents): _contents},
                {certifi.core.where(): bundle} if bundle else {},
            )
            if bundle:  # first: a context rebuilt below may read these (aiohttp's, through OpenSSL's paths)
                _widen_environment(_injection, store, bundle)
            rebuild_prebuilt(_injection.replaced)
            refresh_urllib(stale)
            warn_about(stale_elsewhere)
        if exported is not None:
            _set_environment(_injection, exported)
            _injection.exported = True


def extract() -> None:
    """Undo `inject()`: Python's defaults, certifi and the values patched in modules are as they were."""
    global _injection
    with _process_trust._check_lock:
        injection = _injection
        if injection is None:
            return
        stale = urllib_handlers_built_with(lambda: _store_trust(injection.store), _system_ders(injection.store))
        _injection = None
        injection.unregister()
        if _SSLContext.__dict__.get("load_default_certs") is _load_default_certs:  # else: patched over since
            _SSLContext.load_default_certs = _previous_load_default_certs  # type: ignore[method-assign]
        _swap_module_values(  # a path: where inject() put it, or in a module imported since (from certifi.where())
            {id(_where): certifi.core.where, id(_contents): certifi.core.contents},
            {injection.bundle: certifi.core.where()} if injection.bundle else {},
            lambda module, attribute: (module, attribute) in injection.paths or module not in injection.modules,
        )
        for name, value in injection.environ.items():  # first: the contexts rebuilt below may read them
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        restore_prebuilt(injection.replaced)
        refresh_urllib(stale)


def injected() -> bool:
    """Whether `inject()` is in force."""
    return _injection is not None


def _load_default_certs(self: ssl.SSLContext, purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH) -> None:
    """The store in force for server authentication; anything else as Python did it before inject()."""
    injection = _injection
    if injection is None:
        return _previous_load_default_certs(self, purpose)
    if purpose != ssl.Purpose.SERVER_AUTH:
        return _as_before(self, purpose, injection)
    store = _in_force(_process_trust.default_store, "this context gets Python's defaults")
    if store is None:
        return _as_before(self, purpose, injection)
    _load_store(self, store)
    return None


def _as_before(ctx: ssl.SSLContext, purpose: ssl.Purpose, injection: _Injection) -> None:
    """Python's load_default_certs as it was before inject(). On Linux and macOS that is OpenSSL's default
    paths, which read SSL_CERT_FILE: when inject() repointed it at the merged bundle, the file it named
    before is loaded instead, so a server verifying its clients never starts trusting the custom CAs."""
    if "SSL_CERT_FILE" not in injection.environ or sys.platform == "win32" or not isinstance(purpose, ssl.Purpose):
        return _previous_load_default_certs(ctx, purpose)
    defaults = ssl.get_default_verify_paths()
    cafile = injection.environ["SSL_CERT_FILE"] or defaults.openssl_cafile
    capath = os.environ.get("SSL_CERT_DIR") or defaults.openssl_capath
    with contextlib.suppress(OSError, ssl.SSLError):  # as OpenSSL's default paths, a missing one is no error
        ctx.load_verify_locations(cafile=cafile)
    with contextlib.suppress(OSError, ssl.SSLError):
        ctx.load_verify_locations(capath=capath)
    return None


def _load_store(ctx: ssl.SSLContext, store: TrustStore) -> None:
    if store.platform_store:  # macOS/Windows: the OS store first, as Python loads it
        _previous_load_default_certs(ctx)
    load_anchors(ctx, [c.der for c in store.certificates])


def _system_ders(store: TrustStore) -> frozenset[bytes]:
    return frozenset(c.der for c in store.system)


def _store_trust(store: TrustStore) -> frozenset[bytes]:
    """What a default context loaded while `store` was in force trusts."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _load_store(ctx, store)
    return trust_of(ctx)


def _python_default_trust() -> frozenset[bytes]:
    """What a default context trusts without catrust."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _previous_load_default_certs(ctx)
    return trust_of(ctx)


def _where() -> str:
    """certifi.where() while injected: the merged bundle file, else certifi's own."""
    bundle = _in_force(_process_trust.ca_bundle_path, "certifi.where() gives certifi's file") if _injection else None
    return bundle or certifi.core.where()


def _contents() -> str:
    """certifi.contents() while injected: the merged bundle's text, else certifi's own."""
    store = _in_force(_process_trust.default_store, "certifi.contents() gives certifi's roots") if _injection else None
    return store.pem() if store else certifi.core.contents()


def _in_force(get: Callable[[], T], fallback: str) -> T | None:
    """`get()`, or None with a WARNING: a default is never lost to catrust, it falls back to Python's own.
    Each distinct failure is said once per inject(): httpx asks certifi.where() for every client."""
    try:
        return get()
    except Exception as exc:  # noqa: BLE001 - raising here would fail every TLS connection in the process
        message = f"catrust's trust is unavailable ({exception_text(exc)}): {fallback}"
        if message not in _said:
            _said.add(message)
            log.warning("%s", message)
        return None


def _swap_module_values(
    objects: dict[int, object],
    paths: dict[str, str],
    path_allowed: Callable[[str, str], bool] = lambda module, attribute: True,
) -> set[tuple[str, str]]:
    """In every loaded module but catrust's and certifi.core: replace these functions (by identity), and
    these paths where `path_allowed(module, attribute)`. Returns where paths were replaced."""
    replaced = set()
    for name, namespace in module_namespaces():
        if name == "certifi.core":
            continue
        for attribute, value in list(namespace.items()):
            if id(value) in objects:
                namespace[attribute] = objects[id(value)]
            elif type(value) is str and value in paths and path_allowed(name, attribute):
                namespace[attribute] = paths[value]
                replaced.add((name, attribute))
    return replaced


def _widen_environment(injection: _Injection, store: TrustStore, bundle: str) -> None:
    """Variables that name the system roots (REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt, as many
    images set) would make requests, httpx or botocore *replace* the injected trust with them: point those
    at the merged bundle, a superset. So too one naming a catrust bundle (a parent's `catrust env`): this
    process judges its own folders. A variable naming any other file is the user's choice, kept and named."""
    system = {os.path.realpath(path) for path in {c.path for c in store.system} | {certifi.core.where()}}
    widened, kept = {}, []
    for name in MERGED_BUNDLE_VARS:
        value = os.environ.get(name)
        if not value or value == bundle:
            continue
        if os.path.realpath(value) in system or is_catrust_bundle(value):
            widened[name] = bundle
        else:
            kept.append(f"{name}={printable(value)}")
    _set_environment(injection, widened)
    if widened:
        log.info("catrust.inject(): %s named the system roots; now the merged bundle", ", ".join(sorted(widened)))
    if kept:
        log.warning(
            "catrust.inject(): %s chosen in the environment: libraries that read it trust that file only, "
            "without the custom CAs (unset it, or use inject(environ=True) to point it at the merged bundle)",
            ", ".join(kept),
        )


def _set_environment(injection: _Injection, values: dict[str, str]) -> None:
    """Set `values`, keeping what they replace for extract(). A child's catrust skips a catrust bundle in
    SSL_CERT_FILE when it reads the system roots; CATRUST_SYSTEM_CERT_FILE tells it which file was there."""
    if "SSL_CERT_FILE" in values:
        values = {**values, **system_cert_file()}
    for name, value in values.items():
        injection.environ.setdefault(name, os.environ.get(name))
        os.environ[name] = value


def _after_change(store: TrustStore) -> None:
    """On each change (run under the checks' lock, so never during inject/extract): the import-time
    contexts follow, built with the new trust."""
    if _injection is not None:
        old, _injection.store = _injection.store, store
        stale = urllib_handlers_built_with(lambda: _store_trust(old), _system_ders(old))
        rebuild_prebuilt()
        refresh_urllib(stale)
        if _injection.exported:
            exported_environ()  # rewrites the custom-only file NODE_EXTRA_CA_CERTS names
