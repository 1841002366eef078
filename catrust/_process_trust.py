"""Process-wide trust: one store in force, replaced by reference when the folders change.

Every accessor goes through `default_store()`, which re-checks the folders at most every
`CATRUST_RELOAD_INTERVAL` seconds; `reload()` checks now, and a watcher checks in the background.
An applied change builds a new store (hence new contexts) and swaps one reference: nothing anyone
holds is ever changed. The order is fixed: bundle file rewritten, store swapped, callbacks run.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable

from . import _options as settings
from ._files import private_dir
from ._options import Options
from ._trust.bundle import BundleFile
from ._trust.loader import Loader
from ._trust.reloader import SETTLE_SECONDS, Reloader
from ._trust.store import TrustStore

log = logging.getLogger("catrust")

_check_lock = threading.RLock()  # one check (with its bundle write and callbacks) at a time
_reloader: Reloader | None = None  # set once its first check is done; holds the store in force
_interval = 0.0
_next_check = 0.0
_callbacks: list[Callable[[TrustStore], None]] = []
_clock: Callable[[], float] = time.monotonic
_checking = False  # a check is under way (read with _check_lock held)


def _after_fork_in_child() -> None:
    """A thread that held the lock at fork() does not exist in the child: the child starts with a free one."""
    global _check_lock, _checking
    _check_lock = threading.RLock()
    _checking = False


os.register_at_fork(after_in_child=_after_fork_in_child)


def default_store() -> TrustStore:
    """The store in force, loaded on first use from `CATRUST_CA_DIRS` (else `/custom/ca`), thread-safe.

    Re-checks the folders when `CATRUST_RELOAD_INTERVAL` seconds have passed since the last check.
    """
    follower = _reloader
    if follower is None:
        return _first_load()
    if _interval and _clock() >= _next_check:
        check_quietly()
    assert follower.store is not None  # a reloader is published only once it holds a store
    return follower.store


def ssl_context() -> ssl.SSLContext:
    """The shared client context in force: system roots plus custom CAs. Share it; never reconfigure it.

    A change in the folders brings a new context: ask again for each new connection (or rebuild
    in an `on_change` callback) rather than keeping this one for the life of the process.
    """
    return default_store().ssl_context()


def ca_bundle_path() -> str:
    """A file holding the bundle in force, for SDKs that want a path; rewritten atomically on each change.

    `CATRUST_BUNDLE_PATH`, else a private cache file named after what it is made from (the
    folders, the size limit, the system roots), not after its content: the path stays the same
    while the trust changes, processes reading the same folders share it, and others never touch it.
    """
    default_store()
    written = _reloader.bundle if _reloader is not None else None
    if written is not None:  # no lock once written: certifi.where() may be asked from inside a log handler
        return written.path
    with _check_lock:
        assert _reloader is not None and _reloader.store is not None
        if _reloader.bundle is None:
            bundle = BundleFile(bundle_file_for(_reloader.loader))
            bundle.update(_reloader.store)  # raises when it cannot be written: tried again at the next call
            _reloader.bundle = bundle  # from now on each check keeps it current
        return _reloader.bundle.path


def custom_bundle_path() -> str:
    """A file holding only the custom CAs in force (for NODE_EXTRA_CA_CERTS), written on each call."""
    store = default_store()
    with _check_lock:
        assert _reloader is not None
        return store.write_custom_bundle(bundle_file_for(_reloader.loader, "ca-custom"))


def bundle_file_for(loader: Loader, kind: str = "ca-bundle") -> str:
    """Where `kind` of bundle goes for what `loader` reads: `CATRUST_BUNDLE_PATH` for the merged
    bundle, else a private cache file named after the folders, size limit and system roots."""
    explicit = os.environ.get("CATRUST_BUNDLE_PATH") if kind == "ca-bundle" else None
    return explicit or os.path.join(private_dir(), f"{kind}-{_source_name(loader)}.pem")


def reload() -> bool:
    """Check the folders now; True when the trust changed (and `generation()` went up by one)."""
    with _check_lock:
        if _reloader is None:
            _first_load()
            return False
        return _check()


def generation() -> int:
    """How many changes have been applied since the trust was first loaded (0 until the first)."""
    default_store()
    assert _reloader is not None
    return _reloader.generation


def on_change(callback: Callable[[TrustStore], None]) -> Callable[[], None]:
    """Call `callback(new_store)` after every applied change; returns a function that unregisters it.

    For code that holds trust of its own (an SDK client given a context or a bundle path): rebuild
    it here. Callbacks run one change at a time, in the thread that applied the change, after the
    bundle file was rewritten and the new store put in force. Keep them quick (the next check waits);
    an exception is logged and does not stop the others.
    """
    with _check_lock:
        _callbacks.append(callback)

    def remove() -> None:
        with _check_lock, contextlib.suppress(ValueError):
            _callbacks.remove(callback)

    return remove


def check_quietly() -> None:
    """A check nobody waits for (on access, or a watcher's): skipped while another check runs (in
    this thread too: a callback building a context comes back here), and a failure is logged while
    the trust in force stays."""
    if not _check_lock.acquire(blocking=False):
        return
    try:
        if _reloader is not None and not _checking:
            _check()
    except Exception:
        log.warning("checking the CA folders failed; the trust in force stays", exc_info=True)
    finally:
        _check_lock.release()


def _first_load() -> TrustStore:
    global _reloader, _interval, _next_check
    with _check_lock:
        if _reloader is None:
            interval = settings.reload_interval()
            follower = Reloader(Loader(Options.resolve()), settle=SETTLE_SECONDS, clock=_clock)
            follower.check()  # the first check always gives a store
            _interval, _next_check = interval, _clock() + interval
            _reloader = follower
        assert _reloader.store is not None
        return _reloader.store


def _check() -> bool:
    """With _check_lock held: check (the reloader rewrites the bundle, then swaps the store); run callbacks."""
    global _next_check, _checking
    assert _reloader is not None
    _next_check = _clock() + _interval
    _checking = True
    try:
        new = _reloader.check()
        if new is None:
            return False
        log.info("the CA folders changed: trust generation %d in force", _reloader.generation)
        for callback in list(_callbacks):
            try:
                callback(new)
            except Exception:
                log.exception("an on_change callback failed")
        return True
    finally:
        _checking = False


def _reset() -> None:
    """Forget the process-wide trust and callbacks (tests start from a clean slate)."""
    global _reloader
    with _check_lock:
        _reloader = None
        _callbacks.clear()


def _source_name(loader: Loader) -> str:
    parts = [
        *(os.path.abspath(d) for d in loader.options.ca_dirs),
        str(loader.options.max_file_size),
        *(c.fingerprint for c in loader.roots.certificates),
    ]
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:16]
