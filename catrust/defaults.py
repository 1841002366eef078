"""Process-wide defaults: one store, one context, one bundle file, built lazily once, thread-safe."""

from __future__ import annotations

import hashlib
import os
import ssl
import tempfile
import threading

from .errors import CatrustError
from .store import TrustStore

_lock = threading.Lock()
_store: TrustStore | None = None
_bundle_path: str | None = None


def default_store() -> TrustStore:
    """The store for this process, loaded on first use from `CATRUST_CA_DIRS` (else `/custom/ca`)."""
    global _store
    store = _store
    if store is None:
        with _lock:
            if _store is None:
                _store = TrustStore.load()
            store = _store
    return store


def ssl_context() -> ssl.SSLContext:
    """The shared client context: system roots plus custom CAs. Share it; never reconfigure it."""
    return default_store().ssl_context()


def ca_bundle_path() -> str:
    """A file holding the merged bundle, for SDKs that want a path.

    Written once, atomically, to `CATRUST_BUNDLE_PATH`, else to a private cache file named by
    its content, so processes with different folders never overwrite each other's trust.
    """
    global _bundle_path
    store = default_store()
    with _lock:
        if _bundle_path is None:
            _bundle_path = bundle_path_for(store)
        return _bundle_path


def bundle_path_for(store: TrustStore) -> str:
    """Write `store`'s bundle to `CATRUST_BUNDLE_PATH`, else to its content-named cache file."""
    target = os.environ.get("CATRUST_BUNDLE_PATH") or cache_file("ca-bundle", store.pem())
    return store.write_bundle(target)


def cache_file(prefix: str, text: str) -> str:
    """Where a generated PEM file lives in the private cache: named by content, so never shared by mistake."""
    return os.path.join(_private_dir(), f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.pem")


def _reset() -> None:
    """Forget the process-wide store (tests, and later reloads, start from a clean slate)."""
    global _store, _bundle_path
    with _lock:
        _store = _bundle_path = None


def _private_dir() -> str:
    """A cache folder only this user can write: XDG cache, else one in the temporary folder."""
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidates = [os.path.join(xdg, "catrust"),
                  os.path.join(tempfile.gettempdir(), f"catrust-{_uid()}")]
    for folder in candidates:
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            st = os.stat(folder)
        except OSError:
            continue
        if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
            continue  # someone else could swap our bundle: not private
        return folder
    raise CatrustError("no private cache folder is writable: set CATRUST_BUNDLE_PATH to a writable file")


def _uid() -> str:
    return str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
