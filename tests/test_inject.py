"""inject()/extract(): Python's own defaults and certifi carry the trust in force, additively, and nothing more.

Each trust decision is a real handshake on 127.0.0.1. "System-style" roots come from SSL_CERT_FILE,
which catrust and OpenSSL both read as the system bundle: a root that every default must keep.
The SDKs themselves are in test_inject_sdks.py.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import ssl
import subprocess
import sys
import sysconfig
import threading
import time
import types
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import certifi
import certifi.core
import pytest

import catrust
import catrust._inject
import catrust._process_trust
from catrust import ConfigError
from catrust._exported_env import MERGED_BUNDLE_VARS
from tests.support.certkit import CA
from tests.support.clock import FakeClock
from tests.support.kubelet import publish
from tests.support.tlsserver import handshake, tls_server

REPO = Path(__file__).resolve().parent.parent
SYSTEM = CA("inject system-style root")
OTHER = CA("inject other custom root")
ORIGINAL_LOAD_DEFAULT_CERTS = ssl.SSLContext.load_default_certs


@pytest.fixture
def folder(ca_dir: Path, ca: CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The process reads `ca_dir` (holding the test CA); its system roots are SYSTEM's only."""
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    system = tmp_path / "system.pem"
    system.write_bytes(SYSTEM.cert_pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(system))
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in MERGED_BUNDLE_VARS:
        if name != "SSL_CERT_FILE":
            monkeypatch.delenv(name, raising=False)
    yield ca_dir
    catrust.extract()


@pytest.fixture
def custom_port(ca: CA) -> Iterator[int]:
    with tls_server(ca.issue()) as port:
        yield port


@pytest.fixture
def system_port() -> Iterator[int]:
    with tls_server(SYSTEM.issue()) as port:
        yield port


def refused(ctx: ssl.SSLContext, port: int) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        handshake(ctx, port)


def loaded_default() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_default_certs()
    return ctx


def subjects(ctx: ssl.SSLContext) -> set[str]:
    return {dict(part[0] for part in c["subject"])["commonName"] for c in ctx.get_ca_certs()}


# --- what inject() changes, and what extract() puts back -------------------------------------------------


def test_default_contexts_trust_the_folder_until_extract(folder: Path, custom_port: int, system_port: int) -> None:
    refused(ssl.create_default_context(), custom_port)
    catrust.inject()
    for ctx in (ssl.create_default_context(), loaded_default()):
        handshake(ctx, custom_port)
        handshake(ctx, system_port)
        assert ctx.verify_mode == ssl.CERT_REQUIRED
    catrust.extract()
    refused(ssl.create_default_context(), custom_port)
    refused(loaded_default(), custom_port)
    assert ssl.SSLContext.load_default_certs is ORIGINAL_LOAD_DEFAULT_CERTS


def test_each_context_is_new_and_the_callers_to_configure(folder: Path, custom_port: int) -> None:
    """No shared or frozen context is handed out, and no SSLContext subclass is swapped in."""
    catrust.inject()
    first, second = ssl.create_default_context(), ssl.create_default_context()
    assert first is not second and type(first) is ssl.SSLContext
    assert ssl.SSLContext is catrust._inject._SSLContext
    first.set_alpn_protocols(["h2"])
    first.minimum_version = ssl.TLSVersion.TLSv1_3
    assert second.minimum_version != ssl.TLSVersion.TLSv1_3
    handshake(second, custom_port)


def test_certifi_points_at_the_merged_bundle_until_extract(folder: Path, ca: CA) -> None:
    mozilla = certifi.core.where()
    catrust.inject()
    assert certifi.where() == catrust.ca_bundle_path() != mozilla
    assert ca.cert_pem.decode() in Path(certifi.where()).read_text()
    assert certifi.contents() == Path(certifi.where()).read_text()
    assert certifi.core.where() == mozilla  # catrust reads its fallback roots there
    catrust.extract()
    assert certifi.where() == mozilla and certifi.contents() == certifi.core.contents()


def test_copies_modules_made_are_patched_and_restored(folder: Path) -> None:
    """Values cached at import, before inject() and while it was in force, follow it; extract() restores both.
    A module that holds catrust's own bundle path, from catrust, keeps it."""
    before = module("imported_before", where=certifi.where, contents=certifi.contents, BUNDLE=certifi.where())
    users = module("users_own", path=catrust.ca_bundle_path())
    catrust.inject()
    bundle = catrust.ca_bundle_path()
    assert (before.where(), before.contents(), before.BUNDLE) == (bundle, Path(bundle).read_text(), bundle)
    during = module("imported_during", where=certifi.where, BUNDLE=certifi.where())
    catrust.extract()
    mozilla = certifi.core.where()
    for cached in (before, during):
        assert (cached.where, cached.BUNDLE) == (certifi.core.where, mozilla)
    assert before.contents is certifi.core.contents
    assert users.path == catrust.ca_bundle_path()


def test_odd_modules_are_read_safely(folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A lazily loaded module stays unloaded; a proxy that raises when asked its class, and an object
    claiming to be a module (cffi's compiled `lib`), cost nothing; a verifying context built at import
    is named in one WARNING, an unverified one is not."""
    lazy_spec = importlib.util.find_spec("json.tool")
    assert lazy_spec is not None and lazy_spec.loader is not None
    lazy_spec.loader = importlib.util.LazyLoader(lazy_spec.loader)
    lazy = importlib.util.module_from_spec(lazy_spec)
    lazy_spec.loader.exec_module(lazy)

    class Proxy:
        @property
        def __class__(self) -> type:
            raise RuntimeError("working outside of application context")

    class FakeModule:
        __class__ = types.ModuleType  # type: ignore[assignment]
        __slots__ = ()

    verifying = ssl.create_default_context()
    sys.modules["odd_lazy"] = lazy
    sys.modules["odd_fake"] = FakeModule()  # type: ignore[assignment]
    module("odd_proxy", request=Proxy(), verifying=verifying, unverified=ssl._create_unverified_context())
    try:
        with caplog.at_level(logging.WARNING, logger="catrust"):
            catrust.inject()
    finally:
        for name in ("odd_lazy", "odd_fake"):
            del sys.modules[name]
    assert object.__getattribute__(lazy, "__dict__").get("main") is None  # never loaded
    (warning,) = [r.getMessage() for r in caplog.records if "built a TLS context" in r.getMessage()]
    assert "odd_proxy.verifying" in warning and "odd_proxy.unverified" not in warning


def test_aiohttps_import_time_context_is_rebuilt_and_restored(folder: Path, custom_port: int) -> None:
    connector = pytest.importorskip("aiohttp.connector")
    original = connector._SSL_CONTEXT_VERIFIED
    refused(original, custom_port)
    catrust.inject()
    handshake(connector._SSL_CONTEXT_VERIFIED, custom_port)
    catrust.extract()
    assert connector._SSL_CONTEXT_VERIFIED is original


def test_a_library_imported_while_injected_loses_the_trust_at_extract(
    folder: Path, custom_port: int, system_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiohttp imported after inject() built its context with the custom CAs: extract() rebuilds it without."""
    connector = pytest.importorskip("aiohttp.connector")
    monkeypatch.setattr(connector, "_SSL_CONTEXT_VERIFIED", connector._SSL_CONTEXT_VERIFIED)  # put back afterwards
    monkeypatch.delitem(sys.modules, "aiohttp.connector")
    catrust.inject()
    monkeypatch.setitem(sys.modules, "aiohttp.connector", connector)  # imported now, while injected
    connector._SSL_CONTEXT_VERIFIED = connector._make_ssl_context(True)
    handshake(connector._SSL_CONTEXT_VERIFIED, custom_port)
    catrust.extract()
    refused(connector._SSL_CONTEXT_VERIFIED, custom_port)
    handshake(connector._SSL_CONTEXT_VERIFIED, system_port)


def _as_urlopen_makes() -> ssl.SSLContext:
    """The context urllib's HTTPSHandler makes for itself on Python 3.12+."""
    import http.client

    made: ssl.SSLContext = http.client._create_https_context(  # type: ignore[attr-defined]
        http.client.HTTPSConnection._http_vsn  # type: ignore[attr-defined]
    )
    return made


@pytest.fixture
def urllib_opener(monkeypatch: pytest.MonkeyPatch, custom_port: int) -> Iterator[Any]:
    """Install an opener (with a proxy handler of the caller's) whose HTTPS handler holds a given context;
    yields (install, fetch)."""
    import urllib.request

    def install(ctx: ssl.SSLContext) -> urllib.request.OpenerDirector:
        made = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ctx))
        monkeypatch.setattr(urllib.request, "_opener", made)
        return made

    def fetch() -> bytes:
        with urllib.request.urlopen(f"https://localhost:{custom_port}/", timeout=10) as response:
            return bytes(response.read())

    yield install, fetch


@pytest.mark.skipif(sys.version_info < (3, 12), reason="urllib makes its opener's context per connection before 3.12")
def test_urllibs_cached_opener_follows(folder: Path, urllib_opener: Any) -> None:
    """Python 3.12+ builds the opener's context with the first urlopen(): it is rebuilt, in the same opener
    (a proxy or other handler the caller set stays)."""
    import urllib.error
    import urllib.request

    install, fetch = urllib_opener
    cached = install(_as_urlopen_makes())
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch()
    catrust.inject()
    assert fetch() == b"ok" and urllib.request._opener is cached  # type: ignore[attr-defined]
    catrust.extract()
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch()


@pytest.mark.parametrize("given", ["own-anchors", "tls13"])
def test_a_context_given_to_urllib_stays(folder: Path, urllib_opener: Any, tmp_path: Path, given: str) -> None:
    import urllib.error
    import urllib.request

    own = tmp_path / "own.pem"
    own.write_bytes(OTHER.cert_pem)
    # Made as urllib makes its own where Python does (3.12+), so that only the anchors or the version differ.
    ctx = _as_urlopen_makes() if sys.version_info >= (3, 12) else ssl.create_default_context()
    if given == "own-anchors":
        ctx.load_verify_locations(cafile=str(own))
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    install, fetch = urllib_opener
    install(ctx)
    catrust.inject()
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch()
    (handler,) = [h for h in urllib.request._opener.handlers if isinstance(h, urllib.request.HTTPSHandler)]  # type: ignore[attr-defined]
    assert handler._context is ctx


# --- additive only -------------------------------------------------------------------------------------


def test_a_caller_that_names_its_own_anchors_gets_exactly_them(folder: Path, custom_port: int, tmp_path: Path) -> None:
    catrust.inject()
    own = tmp_path / "own.pem"
    own.write_bytes(OTHER.cert_pem)
    refused(ssl.create_default_context(cafile=str(own)), custom_port)
    refused(ssl.create_default_context(cadata=OTHER.cert_pem.decode()), custom_port)
    refused(ssl.create_default_context(capath=str(tmp_path)), custom_port)
    assert subjects(ssl.create_default_context(cafile=str(own))) == {"inject other custom root"}


def test_servers_verifying_clients_keep_pythons_defaults(folder: Path) -> None:
    """Purpose.CLIENT_AUTH: the folder says which upstreams to trust, not who may connect. inject() points
    SSL_CERT_FILE (here naming the system roots) at the merged bundle, which OpenSSL's default paths read:
    a server loading Python's defaults to verify clients still gets the file named before."""
    catrust.inject()
    assert os.environ["SSL_CERT_FILE"] == catrust.ca_bundle_path()
    assert "catrust test root" in subjects(ssl.create_default_context())
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    assert subjects(server) == {"inject system-style root"}
    with pytest.raises(TypeError):
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_default_certs("server")  # type: ignore[arg-type]


def test_verify_flags_and_unverified_contexts_are_left_alone(folder: Path) -> None:
    plain = ssl.create_default_context().verify_flags
    catrust.inject()
    assert ssl.create_default_context().verify_flags == plain
    assert ssl._create_unverified_context().get_ca_certs() == []


# --- follows the folder ---------------------------------------------------------------------------------


def test_contexts_made_after_a_change_get_the_new_trust(folder: Path, clock: FakeClock, custom_port: int) -> None:
    connector = pytest.importorskip("aiohttp.connector")  # loaded before inject(): rebuilt on each change
    catrust.inject(environ=True)
    held = ssl.create_default_context()
    with tls_server(OTHER.issue()) as other_port:
        refused(ssl.create_default_context(), other_port)
        (folder / "other.pem").write_bytes(OTHER.cert_pem)
        assert catrust.reload()
        handshake(ssl.create_default_context(), other_port)
        handshake(connector._SSL_CONTEXT_VERIFIED, other_port)
        assert OTHER.cert_pem.decode() in Path(os.environ["NODE_EXTRA_CA_CERTS"]).read_text()
        refused(held, other_port)  # a context someone holds is never changed
        (folder / "ca.pem").unlink()
        catrust.reload()
        clock.advance(2.0)
        assert catrust.reload()
        refused(ssl.create_default_context(), custom_port)
        handshake(held, custom_port)
        refused(connector._SSL_CONTEXT_VERIFIED, custom_port)
        handshake(connector._SSL_CONTEXT_VERIFIED, other_port)
        assert "catrust test root" not in Path(os.environ["NODE_EXTRA_CA_CERTS"]).read_text()


def test_requests_2_32_import_time_context_is_rebuilt_and_restored(
    folder: Path, clock: FakeClock, custom_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests 2.32.0-2.32.4 build `adapters._preloaded_ssl_context` from certifi at import. Simulated here
    on the installed requests with the very names and code of 2.32.3's adapters.py."""
    adapters = pytest.importorskip("requests.adapters")
    utils = pytest.importorskip("requests.utils")
    from urllib3.util.ssl_ import create_urllib3_context

    monkeypatch.setattr(adapters, "create_urllib3_context", create_urllib3_context, raising=False)
    monkeypatch.setattr(adapters, "extract_zipped_paths", utils.extract_zipped_paths, raising=False)
    monkeypatch.setattr(adapters, "DEFAULT_CA_BUNDLE_PATH", certifi.where(), raising=False)
    preloaded = create_urllib3_context()
    preloaded.load_verify_locations(utils.extract_zipped_paths(adapters.DEFAULT_CA_BUNDLE_PATH))
    monkeypatch.setattr(adapters, "_preloaded_ssl_context", preloaded, raising=False)
    refused(preloaded, custom_port)
    catrust.inject()
    handshake(adapters._preloaded_ssl_context, custom_port)
    (folder / "ca.pem").unlink()
    catrust.reload()
    clock.advance(2.0)
    assert catrust.reload()
    refused(adapters._preloaded_ssl_context, custom_port)
    catrust.extract()
    assert adapters._preloaded_ssl_context is preloaded


def test_a_release_without_the_cached_context_gets_none_added(folder: Path) -> None:
    adapters = pytest.importorskip("requests.adapters")
    had = hasattr(adapters, "_preloaded_ssl_context")
    catrust.inject()
    assert hasattr(adapters, "_preloaded_ssl_context") == had


@pytest.mark.skipif(sys.version_info < (3, 12), reason="urllib makes its opener's context per connection before 3.12")
def test_urllibs_opener_is_recognised_after_a_root_came_from_a_hashed_folder(
    folder: Path, urllib_opener: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OpenSSL adds a root found in SSL_CERT_DIR to the context the first time a handshake needs it."""
    hashed = tmp_path / "hashed"
    hashed.mkdir()
    lazy = CA("inject hashed-folder root")
    name = (
        subprocess.run(
            ["openssl", "x509", "-noout", "-subject_hash"], input=lazy.cert_pem, capture_output=True, check=True
        )
        .stdout.decode()
        .strip()
    )
    (hashed / f"{name}.0").write_bytes(lazy.cert_pem)
    monkeypatch.setenv("SSL_CERT_DIR", str(hashed))
    install, fetch = urllib_opener
    cached = install(_as_urlopen_makes())
    with tls_server(lazy.issue()) as lazy_port:
        with urllib.request.urlopen(f"https://localhost:{lazy_port}/", timeout=10) as response:
            assert response.read() == b"ok"  # the hashed folder's root is now in the opener's context
    catrust.inject()
    assert fetch() == b"ok" and urllib.request._opener is cached  # type: ignore[attr-defined]


def test_a_child_keeps_the_system_roots_ssl_cert_file_named(folder: Path, custom_port: int, system_port: int) -> None:
    """inject() points SSL_CERT_FILE at the merged bundle; a child's catrust skips catrust bundles when it reads
    system roots, and finds the file SSL_CERT_FILE named before in CATRUST_SYSTEM_CERT_FILE."""
    system_file = os.environ["SSL_CERT_FILE"]
    catrust.inject()
    assert os.environ["CATRUST_SYSTEM_CERT_FILE"] == system_file
    program = (
        "import ssl, sys\n"
        "from tests.support.tlsserver import handshake\n"
        "for port in sys.argv[1:]:\n"
        "    handshake(ssl.create_default_context(), int(port))\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", program, str(system_port), str(custom_port)],
        env={**os.environ, "CATRUST_INJECT": "1"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == 0 and child.stderr == "", child.stderr[-2000:]
    catrust.extract()
    assert "CATRUST_SYSTEM_CERT_FILE" not in os.environ


# --- never weaker than Python's own defaults ------------------------------------------------------------


@pytest.mark.parametrize("broken", ["missing", "a-file", "unreadable-entry"])
def test_a_broken_folder_leaves_the_system_roots_and_a_warning(
    folder: Path, broken: str, system_port: int, custom_port: int, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    if broken == "missing":
        monkeypatch.setenv("CATRUST_CA_DIRS", str(folder / "nowhere"))
    elif broken == "a-file":
        monkeypatch.setenv("CATRUST_CA_DIRS", str(folder / "ca.pem"))
    else:
        (folder / "ca.pem").unlink()
        os.mkfifo(folder / "ca.pem")
    with caplog.at_level(logging.WARNING, logger="catrust"):
        catrust.inject()
    assert [r for r in caplog.records if r.levelno == logging.WARNING]
    for ctx in (ssl.create_default_context(), loaded_default()):
        handshake(ctx, system_port)
        refused(ctx, custom_port)


def test_a_bad_setting_raises_and_changes_nothing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATRUST_RELOAD_INTERVAL", "soon")
    with pytest.raises(ConfigError, match="CATRUST_RELOAD_INTERVAL"):
        catrust.inject()
    assert ssl.SSLContext.load_default_certs is ORIGINAL_LOAD_DEFAULT_CERTS
    assert certifi.where is certifi.core.where
    assert not catrust._inject.injected()


def test_when_catrust_fails_later_every_default_falls_back_to_pythons(
    folder: Path, system_port: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    catrust.inject()

    def broken() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(catrust._process_trust, "default_store", broken)
    monkeypatch.setattr(catrust._process_trust, "ca_bundle_path", broken)
    with caplog.at_level(logging.WARNING, logger="catrust"):
        for _ in range(2):  # each failure said once, not once a call
            handshake(ssl.create_default_context(), system_port)  # Python's own: SSL_CERT_FILE
            assert certifi.where() == certifi.core.where()
            assert certifi.contents() == certifi.core.contents()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("disk on fire" in m for m in messages) == 3, messages


# --- idempotent, thread-safe ----------------------------------------------------------------------------


def test_inject_and_extract_are_idempotent(folder: Path, custom_port: int) -> None:
    catrust.extract()
    callbacks = len(catrust._process_trust._callbacks)
    catrust.inject()
    catrust.inject()
    assert len(catrust._process_trust._callbacks) == callbacks + 1
    handshake(ssl.create_default_context(), custom_port)
    catrust.extract()
    catrust.extract()
    assert len(catrust._process_trust._callbacks) == callbacks
    refused(ssl.create_default_context(), custom_port)
    catrust.inject()
    handshake(ssl.create_default_context(), custom_port)


def test_eight_threads_handshake_while_inject_extract_and_reloads_run(
    folder: Path, ca: CA, clock: FakeClock, custom_port: int, system_port: int
) -> None:
    """While injected, a CA that stays never fails, whatever reloads do to its neighbour; while inject()
    and extract() alternate, the system-style root never fails and nothing but verification ever does."""
    errors: list[str] = []
    stop = threading.Event()
    phase = {"name": "injected"}

    def worker() -> None:
        while not stop.is_set():
            for port in (custom_port, system_port):
                started_in = phase["name"]
                try:
                    handshake(ssl.create_default_context(), port)
                except ssl.SSLCertVerificationError as exc:
                    injected_throughout = started_in == phase["name"] == "injected"
                    if port == system_port or injected_throughout:
                        errors.append(f"{started_in}: {exc}")
                except Exception as exc:  # noqa: BLE001 - any other failure is what this test looks for
                    errors.append(f"{started_in}: {type(exc).__name__}: {exc}")

    catrust.inject()
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        for i in range(12):  # OTHER comes and goes; the test CA stays
            publish(folder, {"ca.pem": ca.cert_pem, **({"o.pem": OTHER.cert_pem} if i % 2 == 0 else {})})
            catrust.reload()
            clock.advance(2.0)
            catrust.reload()
            catrust.inject()
        phase["name"] = "alternating"
        for i in range(20):
            (catrust.inject if i % 2 else catrust.extract)()
            catrust.reload()
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not errors, errors[:5]


def test_inject_and_extract_from_many_threads_leave_one_consistent_state(folder: Path, custom_port: int) -> None:
    """The lock, not luck: 8 threads calling inject() and extract() end with exactly one or no injection."""
    callbacks = len(catrust._process_trust._callbacks)
    barrier = threading.Barrier(8)

    def churn(i: int) -> None:
        barrier.wait()
        for _ in range(30):
            (catrust.inject if i % 2 else catrust.extract)()
            (catrust.extract if i % 2 else catrust.inject)()

    threads = [threading.Thread(target=churn, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    catrust.inject()
    assert len(catrust._process_trust._callbacks) == callbacks + 1
    handshake(ssl.create_default_context(), custom_port)
    catrust.extract()
    assert len(catrust._process_trust._callbacks) == callbacks
    assert ssl.SSLContext.load_default_certs is ORIGINAL_LOAD_DEFAULT_CERTS
    assert certifi.where is certifi.core.where
    refused(ssl.create_default_context(), custom_port)


def test_certifi_where_from_a_log_handler_during_a_reload_does_not_deadlock(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A log shipper opening an HTTPS client (certifi.where()) holds its handler's lock; a reload logging
    meanwhile holds the checks' lock. certifi.where() must not wait for the checks' lock."""
    caplog.set_level(logging.INFO, logger="catrust")  # the reload's INFO line reaches the root's handlers
    catrust.inject()
    shipping = threading.Event()
    waited: list[bool] = []

    class Shipper(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.name == "app":
                shipping.set()
                time.sleep(0.5)
                # In a helper thread with a time limit, so that a deadlock fails this test instead of hanging it.
                asking = threading.Thread(target=certifi.where, daemon=True)
                asking.start()
                asking.join(5)
                waited.append(asking.is_alive())

    shipper = Shipper()
    logging.getLogger().addHandler(shipper)
    try:
        (folder / "other.pem").write_bytes(OTHER.cert_pem)
        app = threading.Thread(target=lambda: logging.getLogger("app").warning("hello"), daemon=True)
        app.start()
        shipping.wait(5)
        reloading = threading.Thread(target=catrust.reload, daemon=True)
        reloading.start()
        reloading.join(20)
        app.join(20)
        assert waited == [False], "certifi.where() waited for the checks' lock while a reload was logging"
    finally:
        logging.getLogger().removeHandler(shipper)


def test_a_forked_child_is_not_stuck_behind_a_lock_its_parent_held(folder: Path) -> None:
    catrust.inject()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with catrust._process_trust._check_lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        pid = os.fork()
        if pid == 0:  # the child: one thread, and the lock of a thread that does not exist here
            signal.alarm(20)
            catrust.reload()
            certifi.where()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
    finally:
        release.set()
        holder.join(10)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_check_never_runs_inside_a_check(folder: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """A callback that builds a default context asks for the store; with the reload interval passed, that
    must not start a second check inside the first (callbacks would see stores out of order)."""
    monkeypatch.setenv("CATRUST_RELOAD_INTERVAL", "1")
    catrust.inject()
    depth, deepest = [0], [0]
    real_check = catrust._process_trust._check

    def counted() -> bool:
        depth[0] += 1
        deepest[0] = max(deepest[0], depth[0])
        try:
            return real_check()
        finally:
            depth[0] -= 1

    monkeypatch.setattr(catrust._process_trust, "_check", counted)

    def builds_a_context(store: object) -> None:
        clock.advance(5)
        ssl.create_default_context()

    remove = catrust.on_change(builds_a_context)
    try:
        (folder / "other.pem").write_bytes(OTHER.cert_pem)
        clock.advance(5)
        assert catrust.reload()
    finally:
        remove()
    assert deepest[0] == 1


def test_extract_leaves_a_patch_made_over_inject_in_place(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ssl.SSLContext, "load_default_certs", ORIGINAL_LOAD_DEFAULT_CERTS)  # put back afterwards
    catrust.inject()
    ours = ssl.SSLContext.load_default_certs
    calls = []

    def theirs(self: ssl.SSLContext, purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH) -> None:
        calls.append(purpose)
        ours(self, purpose)

    ssl.SSLContext.load_default_certs = theirs  # type: ignore[method-assign]
    catrust.extract()
    assert ssl.SSLContext.load_default_certs is theirs
    assert "catrust test root" not in subjects(ssl.create_default_context()) and calls


def test_environ_true_that_cannot_write_changes_nothing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATRUST_BUNDLE_PATH", str(folder / "no-such-folder" / "bundle.pem"))
    with pytest.raises(catrust.CatrustError):
        catrust.inject(environ=True)
    assert not catrust._inject.injected()
    assert ssl.SSLContext.load_default_certs is ORIGINAL_LOAD_DEFAULT_CERTS


# --- the environment ------------------------------------------------------------------------------------


def test_environ_true_sets_the_variables_and_extract_restores_them(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", "/somewhere/else.pem")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    before = dict(os.environ)
    catrust.inject(environ=True)
    assert {name: os.environ[name] for name in catrust.environ()} == catrust.environ()
    catrust.extract()
    assert dict(os.environ) == before


def test_variables_naming_the_system_roots_are_widened_others_kept(
    folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """REQUESTS_CA_BUNDLE=<the system bundle> would make requests replace the injected trust with it."""
    own = tmp_path / "own.pem"
    own.write_bytes(OTHER.cert_pem)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", os.environ["SSL_CERT_FILE"])
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.core.where())
    monkeypatch.setenv("AWS_CA_BUNDLE", str(own))
    parents = catrust.TrustStore.load(str(folder), system="none").write_bundle(tmp_path / "parents-bundle.pem")
    monkeypatch.setenv("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", parents)  # a parent's `catrust env`, say
    before = dict(os.environ)
    with caplog.at_level(logging.INFO, logger="catrust"):
        catrust.inject()
    bundle = catrust.ca_bundle_path()
    widened = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH")
    assert {os.environ[name] for name in widened} == {bundle}
    assert os.environ["AWS_CA_BUNDLE"] == str(own)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"AWS_CA_BUNDLE={own}" in warning
    catrust.extract()
    assert dict(os.environ) == before


# --- the .pth hook: CATRUST_INJECT ----------------------------------------------------------------------

PROGRAM = "import ssl, sys; print('catrust' in sys.modules, ssl.SSLContext.load_default_certs.__module__)"


def python(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CATRUST_")}
    return subprocess.run(
        [sys.executable, *args], env={**base, **(env or {})}, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_hook_is_installed_in_site_packages() -> None:
    hook = Path(sysconfig.get_paths()["purelib"]) / "catrust-inject.pth"
    assert hook.read_text() == (REPO / "catrust-inject.pth").read_text()


def test_without_the_variable_the_hook_imports_nothing() -> None:
    result = python("-X", "importtime", "-c", PROGRAM)
    assert result.stdout.split() == ["False", "ssl"]
    assert "catrust" not in result.stderr and "certifi" not in result.stderr


@pytest.mark.parametrize("flags", [[], ["-I"], ["-E"]])
def test_with_the_variable_the_program_starts_injected(folder: Path, flags: list[str]) -> None:
    """-I and -E ignore PYTHON* variables, not CATRUST_INJECT: site-packages' .pth files still run."""
    env = {name: os.environ[name] for name in ("CATRUST_CA_DIRS", "XDG_CACHE_HOME", "SSL_CERT_FILE")}
    result = python(*flags, "-c", PROGRAM, env={**env, "CATRUST_INJECT": "1"})
    assert result.stdout.split() == ["True", "catrust._inject"], result.stderr
    assert result.stderr == ""


def test_python_minus_s_skips_site_and_so_the_hook(folder: Path) -> None:
    result = python("-S", "-c", PROGRAM, env={"CATRUST_INJECT": "1"})
    assert result.stdout.split() == ["False", "ssl"]


@pytest.mark.parametrize(
    ("value", "extra", "says"),
    [
        ("0", {}, None),
        ("false", {}, None),
        ("maybe", {}, "CATRUST_INJECT='maybe' is not a boolean"),
        ("1", {"CATRUST_RELOAD_INTERVAL": "soon"}, "CATRUST_RELOAD_INTERVAL='soon'"),
        ("1", {"CATRUST_MIN_TLS_VERSION": "TLS9"}, "CATRUST_MIN_TLS_VERSION"),
    ],
)
def test_a_bad_or_off_value_leaves_pythons_trust_and_at_most_one_line(
    value: str, extra: dict[str, str], says: str | None
) -> None:
    result = python("-c", PROGRAM, env={"CATRUST_INJECT": value, **extra})
    assert result.returncode == 0 and result.stdout.split()[1] == "ssl"
    if says is None:
        assert result.stderr == ""
    else:
        assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and result.stderr.endswith("Python's default trust is unchanged\n")


def test_the_wheel_carries_the_hook(tmp_path: Path) -> None:
    """The .pth file sits at the wheel's root, so pip puts it in site-packages itself."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("catrust-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("catrust-inject.pth") == (REPO / "catrust-inject.pth").read_bytes()


def module(name: str, **values: object) -> types.ModuleType:
    """A module in sys.modules holding `values`, removed after the test."""
    made = types.ModuleType(name)
    made.__dict__.update(values)
    sys.modules[name] = made
    MADE.append(name)
    return made


MADE: list[str] = []


@pytest.fixture(autouse=True)
def forget_made_modules() -> Iterator[None]:
    yield
    while MADE:
        sys.modules.pop(MADE.pop(), None)
