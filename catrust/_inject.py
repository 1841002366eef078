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
- Contexts a library builds once at import (aiohttp's verified context): rebuilt now and after each
  change, so they follow the folder too.

Left alone, on purpose: whatever a caller passes (`cafile`, `cadata`, `capath`, a context,
`verify=`), unverified contexts, verify flags, and `Purpose.CLIENT_AUTH` (a server verifying its
clients): the folder says which upstreams to trust, not who may connect.
"""

from __future__ import annotations

import logging
import os
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

import certifi.core

from . import _process_trust
from ._context import load_anchors
from ._exported_env import MERGED_BUNDLE_VARS
from ._exported_env import environ as exported_environ
from ._files import starts_with
from ._text import exception_text, printable
from ._trust.bundle import MARKER
from ._trust.store import TrustStore

log = logging.getLogger("catrust")
T = TypeVar("T")

# Contexts libraries build once at import, as (module, attribute, how to build one as the library does).
PREBUILT: tuple[tuple[str, str, Callable[[ModuleType], object]], ...] = (
    ("aiohttp.connector", "_SSL_CONTEXT_VERIFIED", lambda module: module._make_ssl_context(True)),
)

# The lock that serializes checks of the folders: a change's callback never runs halfway through inject().
_lock = _process_trust._check_lock
_SSLContext = ssl.SSLContext  # the class patched, as it was when catrust was imported
_original_load_default_certs = _SSLContext.load_default_certs


@dataclass
class _Injection:
    """What one `inject()` changed, so that `extract()` can put exactly that back."""

    bundle: str | None  # the merged bundle file, or None when it could not be written
    unregister: Callable[[], None]
    replaced: dict[tuple[str, str], object] = field(default_factory=dict)  # prebuilt contexts, as they were
    environ: dict[str, str | None] = field(default_factory=dict)  # variables inject() set, as they were
    exported: bool = False  # inject(environ=True): every variable `catrust env` prints is set


_injection: _Injection | None = None


def inject(*, environ: bool = False) -> None:
    """Make every default way this process finds CA roots yield the system roots plus the custom CAs.

    After it, `ssl.create_default_context()`, `load_default_certs()`, `certifi.where()` and the values
    libraries cached from them carry catrust's trust, verification on, and follow each change of
    the folders. Additive only: a caller that names its own CA or context gets exactly that.
    `environ=True` also sets the variables `catrust env` prints, for child programs. Idempotent,
    thread-safe; `extract()` undoes it. Raises `ConfigError` for a bad `CATRUST_*` setting, with
    nothing changed.
    """
    global _injection
    with _lock:
        store = _process_trust.default_store()  # a bad setting raises here, before anything is patched
        if _injection is None:
            bundle = _in_force(_process_trust.ca_bundle_path, "values libraries copied from certifi keep its roots")
            _injection = _Injection(bundle=bundle, unregister=_process_trust.on_change(_after_change))
            _SSLContext.load_default_certs = _load_default_certs  # type: ignore[method-assign]
            _swap_module_values(  # certifi.where and .contents themselves, and every copy modules made
                {id(certifi.core.where): _where, id(certifi.core.contents): _contents},
                {certifi.core.where(): bundle} if bundle else {},
            )
            _rebuild_prebuilt(_injection, keep_originals=True)
            _warn_about_stale_contexts()
            if bundle:
                _widen_environment(_injection, store, bundle)
        if environ and not _injection.exported:
            _set_environment(_injection, exported_environ())
            _injection.exported = True


def extract() -> None:
    """Undo `inject()`: Python's defaults, certifi and the values patched in modules are as they were."""
    global _injection
    with _lock:
        injection = _injection
        if injection is None:
            return
        _injection = None
        injection.unregister()
        _SSLContext.load_default_certs = _original_load_default_certs  # type: ignore[method-assign]
        _swap_module_values(
            {id(_where): certifi.core.where, id(_contents): certifi.core.contents},
            {injection.bundle: certifi.core.where()} if injection.bundle else {},
        )
        for (module_name, attribute), original in injection.replaced.items():
            module = sys.modules.get(module_name)
            if module is not None:
                setattr(module, attribute, original)
        for module_name, attribute, make in PREBUILT:  # imported while injected: its context has our trust
            module = sys.modules.get(module_name)
            if module is not None and (module_name, attribute) not in injection.replaced:
                _rebuild(module, attribute, make)
        for name, value in injection.environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def injected() -> bool:
    """Whether `inject()` is in force."""
    return _injection is not None


def _load_default_certs(self: ssl.SSLContext, purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH) -> None:
    """The store in force for server authentication; anything else as Python does it."""
    if _injection is None or purpose != ssl.Purpose.SERVER_AUTH:
        return _original_load_default_certs(self, purpose)
    store = _in_force(_process_trust.default_store, "this context gets Python's defaults")
    if store is None:
        return _original_load_default_certs(self, purpose)
    if store.platform_store:  # macOS/Windows: the OS store first, as Python loads it
        _original_load_default_certs(self, purpose)
    load_anchors(self, [c.der for c in store.certificates])
    return None


def _where() -> str:
    """certifi.where() while injected: the merged bundle file, else certifi's own."""
    bundle = _in_force(_process_trust.ca_bundle_path, "certifi's roots are used") if _injection else None
    return bundle or certifi.core.where()


def _contents() -> str:
    """certifi.contents() while injected: the merged bundle's text, else certifi's own."""
    store = _in_force(_process_trust.default_store, "certifi's roots are used") if _injection else None
    return store.pem() if store else certifi.core.contents()


def _in_force(get: Callable[[], T], fallback: str) -> T | None:
    """`get()`, or None with a WARNING: a default is never lost to catrust, it falls back to Python's own."""
    try:
        return get()
    except Exception as exc:  # noqa: BLE001 - raising here would fail every TLS connection in the process
        log.warning("catrust's trust is unavailable (%s): %s", exception_text(exc), fallback)
        return None


def _swap_module_values(objects: dict[int, object], paths: dict[str, str]) -> None:
    """In every loaded module but catrust's and certifi.core: replace these functions (by identity) and paths."""
    for name, namespace in _module_namespaces():
        if name == "certifi.core":
            continue
        for attribute, value in list(namespace.items()):
            if id(value) in objects:
                namespace[attribute] = objects[id(value)]
            elif type(value) is str and value in paths:
                namespace[attribute] = paths[value]


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
        if os.path.realpath(value) in system or starts_with(value, MARKER.encode()):
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
    for name, value in values.items():
        injection.environ.setdefault(name, os.environ.get(name))
        os.environ[name] = value


def _module_namespaces() -> list[tuple[str, dict[str, Any]]]:
    """The globals of every loaded module but catrust's own, read without running any module code.

    type(), not isinstance(): cffi's compiled `lib` objects claim to be modules and have no __dict__;
    object.__getattribute__ never wakes a lazily loaded module.
    """
    found = []
    for name, module in list(sys.modules.items()):
        if issubclass(type(module), ModuleType) and name.partition(".")[0] != "catrust":
            found.append((name, object.__getattribute__(module, "__dict__")))
    return found


def _rebuild_prebuilt(injection: _Injection, *, keep_originals: bool = False) -> None:
    """Rebuild the known import-time contexts with the trust in force; at inject(), keep the ones they replace."""
    for module_name, attribute, make in PREBUILT:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        original = getattr(module, attribute, None)
        if _rebuild(module, attribute, make) and keep_originals:
            injection.replaced[module_name, attribute] = original


def _rebuild(module: ModuleType, attribute: str, make: Callable[[ModuleType], object]) -> bool:
    try:
        setattr(module, attribute, make(module))
    except Exception as exc:  # noqa: BLE001 - a library that changed its internals: say so, keep it as it was
        log.warning(
            "catrust.inject(): %s.%s could not be rebuilt (%s): import %s after inject()",
            module.__name__,
            attribute,
            exception_text(exc),
            module.__name__,
        )
        return False
    return True


def _after_change(store: TrustStore) -> None:
    """On each change (run under the checks' lock, so never during inject/extract): the import-time
    contexts follow, built with the new trust."""
    if _injection is not None:
        _rebuild_prebuilt(_injection)
        if _injection.exported:
            exported_environ()  # rewrites the custom-only file NODE_EXTRA_CA_CERTS names


def _warn_about_stale_contexts() -> None:
    """Name, in one WARNING, the verifying contexts modules built at import that inject() cannot rebuild."""
    known = {(module, attribute) for module, attribute, _ in PREBUILT}
    stale = []
    for name, namespace in _module_namespaces():
        for attribute, value in list(namespace.items()):
            # type(), not isinstance(): a proxy object (Flask's `request`) raises when asked its __class__.
            if (
                issubclass(type(value), ssl.SSLContext)
                and value.verify_mode != ssl.CERT_NONE
                and (name, attribute) not in known
            ):
                stale.append(f"{name}.{attribute}")
    if stale:
        log.warning(
            "catrust.inject(): these modules built a TLS context before inject() and keep the trust it had: "
            "%s; import them after inject() (or set CATRUST_INJECT=1) for them to trust the custom CAs",
            ", ".join(sorted(stale)),
        )
