"""Trust follows the folder: changes apply without a restart, and a half-finished update never removes trust.

Every trust decision is proven by a real handshake on 127.0.0.1. Folders change the way the
kubelet changes a mounted Secret (`..data` swapped atomically) and the way people edit files.
The settle rule's time comes from a fake clock, so no test depends on how fast the machine is;
the watcher and the sidecar run on the real clock, with generous bounded waits.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import queue
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

import catrust
import catrust._process_trust
import catrust._trust.loader
import catrust._trust.reloader
import catrust._trust.scan
from catrust import Certificate, ConfigError
from catrust._files import Unread
from catrust._options import Options
from catrust._trust.bundle import BundleFile
from catrust._trust.loader import Files, Loader
from catrust._trust.model import Rejection
from catrust._trust.policy import EXPIRY_WARNING
from catrust._trust.reloader import SETTLE_SECONDS, Reloader
from tests.support.certkit import CA
from tests.support.clock import FakeClock
from tests.support.hostilecerts import tls_feature_unknown
from tests.support.kubelet import edit, publish
from tests.support.tlsserver import handshake, tls_server

REPO = Path(__file__).resolve().parent.parent
A, B, C = CA("reload a"), CA("reload b"), CA("reload c")
Update = Callable[[Path, dict[str, bytes]], None]


@pytest.fixture
def folder(ca_dir: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> Path:
    """The process-wide trust reads this folder, on the fake clock."""
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    return ca_dir


@pytest.fixture(params=[publish, edit], ids=["kubelet", "plain-edit"])
def update(request: pytest.FixtureRequest) -> Update:
    return request.param  # type: ignore[no-any-return]


def refused(ctx: ssl.SSLContext, port: int) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        handshake(ctx, port)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def toggle_b(folder: Path, clock: FakeClock, i: int) -> None:
    """One applied change: B comes (even i) or goes (odd i); a removal applies once the folder settled."""
    publish(folder, {"a.pem": A.cert_pem, **({"b.pem": B.cert_pem} if i % 2 == 0 else {})})
    catrust.reload()
    clock.advance(SETTLE_SECONDS)
    catrust.reload()


# --- add, remove, replace: through ssl_context() -------------------------------------------------


def test_an_added_ca_works_after_a_reload_without_restart(folder: Path, update: Update) -> None:
    update(folder, {"a.pem": A.cert_pem})
    with tls_server(B.issue()) as port:
        before = catrust.ssl_context()
        refused(before, port)
        update(folder, {"a.pem": A.cert_pem, "b.pem": B.cert_pem})
        assert catrust.reload() and catrust.generation() == 1
        handshake(catrust.ssl_context(), port)
        refused(before, port)  # a context someone holds is never changed


def test_a_removed_ca_stops_working_once_the_folder_has_settled(folder: Path, update: Update, clock: FakeClock) -> None:
    update(folder, {"a.pem": A.cert_pem, "b.pem": B.cert_pem})
    with tls_server(B.issue()) as port:
        handshake(catrust.ssl_context(), port)
        update(folder, {"a.pem": A.cert_pem})
        assert not catrust.reload()  # kept until the folder has looked the same for SETTLE_SECONDS
        handshake(catrust.ssl_context(), port)
        clock.advance(SETTLE_SECONDS)
        assert catrust.reload() and catrust.generation() == 1
        refused(catrust.ssl_context(), port)


def test_an_odd_certificate_arriving_with_a_removal_does_not_stop_the_following(
    folder: Path, update: Update, clock: FakeClock
) -> None:
    """A certificate that made cryptography raise used to stop every check: the removed CA stayed trusted."""
    odd = tls_feature_unknown()
    update(folder, {"a.pem": A.cert_pem, "b.pem": B.cert_pem})
    with tls_server(B.issue()) as port:
        handshake(catrust.ssl_context(), port)
        update(folder, {"a.pem": A.cert_pem, "odd.der": odd})
        catrust.reload()
        clock.advance(SETTLE_SECONDS)
        assert catrust.reload()
        refused(catrust.ssl_context(), port)
        assert [r.path.rsplit("/", 1)[1] for r in catrust.default_store().rejected] == ["odd.der"]


def test_a_replaced_ca_works_at_once_and_the_old_one_goes_once_settled(
    folder: Path, update: Update, clock: FakeClock
) -> None:
    update(folder, {"a.pem": A.cert_pem, "b.pem": B.cert_pem})
    with tls_server(B.issue()) as port_b, tls_server(C.issue()) as port_c:
        refused(catrust.ssl_context(), port_c)
        update(folder, {"a.pem": A.cert_pem, "b.pem": C.cert_pem})
        assert catrust.reload()
        handshake(catrust.ssl_context(), port_c)
        handshake(catrust.ssl_context(), port_b)
        clock.advance(SETTLE_SECONDS)
        assert catrust.reload() and catrust.generation() == 2
        handshake(catrust.ssl_context(), port_c)
        refused(catrust.ssl_context(), port_b)


# --- through an httpx client made before the change ----------------------------------------------


def test_an_existing_httpx_client_uses_the_new_trust_for_new_connections(folder: Path, clock: FakeClock) -> None:
    publish(folder, {"a.pem": A.cert_pem})
    with tls_server(B.issue()) as port, catrust.httpx_client(timeout=10) as client:
        url = f"https://localhost:{port}/"  # the server closes every connection: each request is a new one
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(url)
        publish(folder, {"a.pem": A.cert_pem, "b.pem": B.cert_pem})
        assert catrust.reload()
        assert client.get(url).text == "ok"
        publish(folder, {"a.pem": A.cert_pem})
        catrust.reload()
        clock.advance(SETTLE_SECONDS)
        assert catrust.reload()
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(url)


def test_an_existing_async_httpx_client_uses_the_new_trust_for_new_connections(folder: Path, clock: FakeClock) -> None:
    publish(folder, {"a.pem": A.cert_pem})

    async def scenario(url: str) -> None:
        async with catrust.httpx_async_client(timeout=10) as client:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(url)
            publish(folder, {"a.pem": A.cert_pem, "b.pem": B.cert_pem})
            assert catrust.reload()
            assert (await client.get(url)).text == "ok"
            publish(folder, {"a.pem": A.cert_pem})
            catrust.reload()
            clock.advance(SETTLE_SECONDS)
            assert catrust.reload()
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(url)

    with tls_server(B.issue()) as port:
        asyncio.run(scenario(f"https://localhost:{port}/"))


# --- under load -----------------------------------------------------------------------------------


def test_200_reloads_while_threads_handshake_with_a_ca_that_stays(
    folder: Path, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roots = tmp_path / "roots.pem"
    roots.write_bytes(CA("stand-in system root").cert_pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(roots))  # one system root: a context builds in ~1 ms, not 16
    publish(folder, {"a.pem": A.cert_pem})
    # Loaded here, with A alone: left to the first thread's access, the first load could come after the
    # first toggle and count B in generation 0 (seen once in 12 runs on a loaded machine).
    assert len(catrust.default_store().custom) == 1
    stop = threading.Event()
    failures: list[BaseException] = []
    successes: list[int] = []

    with tls_server(A.issue()) as port:

        def handshakes() -> None:
            while not stop.is_set():
                try:
                    handshake(catrust.ssl_context(), port)  # the context in force, which may be swapped
                except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                    failures.append(exc)
                    return
                successes.append(1)

        def requests() -> None:
            with catrust.httpx_client(timeout=10) as client:
                while not stop.is_set():
                    try:
                        assert client.get(f"https://localhost:{port}/").text == "ok"
                    except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                        failures.append(exc)
                        return
                    successes.append(1)

        threads = [threading.Thread(target=handshakes) for _ in range(3)] + [threading.Thread(target=requests)]
        for t in threads:
            t.start()
        try:
            for i in range(200):
                toggle_b(folder, clock, i)
        finally:
            stop.set()
            for t in threads:
                t.join(60)
    assert failures == []
    assert successes and catrust.generation() == 200


def test_a_reader_polling_the_bundle_file_only_ever_sees_a_whole_bundle(
    folder: Path, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATRUST_BUNDLE_PATH", str(tmp_path / "ca-bundle.pem"))
    publish(folder, {"a.pem": A.cert_pem})
    path = catrust.ca_bundle_path()
    written = {catrust.default_store().pem()}
    catrust.on_change(lambda store: written.add(store.pem()))
    seen: set[str] = set()
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            with open(path, encoding="ascii") as handle:
                seen.add(handle.read())

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for i in range(100):
            toggle_b(folder, clock, i)
            assert catrust.ca_bundle_path() == path  # the path stays; its content follows the trust
    finally:
        stop.set()
        reader.join(60)
    assert len(written) == 2 and seen and seen <= written
    assert Path(path).read_text() == catrust.default_store().pem()


# --- last known good ------------------------------------------------------------------------------


def _dangle(folder: Path) -> None:
    (folder / "ab.pem").unlink()
    (folder / "ab.pem").symlink_to("..data/ab.pem")


BOTH = A.cert_pem + B.cert_pem


# How each half-finished state breaks the folder, why the log says the CAs are kept, how many, and how loudly.
HALF_FINISHED: dict[str, tuple[Callable[[Path], object], str, int, int]] = {
    "folder vanished": (shutil.rmtree, "the folder {folder} is missing", 2, logging.WARNING),
    "folder emptied": (lambda f: (f / "ab.pem").unlink(), "the folder {folder} is empty", 2, logging.WARNING),
    "file emptied": (lambda f: (f / "ab.pem").write_bytes(b""), "is empty", 2, logging.WARNING),
    "file cut mid-block": (
        lambda f: (f / "ab.pem").write_bytes(BOTH[: len(A.cert_pem) + 200]),
        "its CERTIFICATE block has no matching END line: the file is cut short or damaged, so nothing from it was used",
        2,
        logging.WARNING,
    ),
    "file cut between blocks": (
        lambda f: (f / "ab.pem").write_bytes(A.cert_pem),
        "its certificates changed",
        1,
        logging.INFO,
    ),
    "link left dangling": (
        _dangle,
        "is a dangling symbolic link (its target '..data/ab.pem' does not exist)",
        2,
        logging.WARNING,
    ),
}


@pytest.mark.parametrize("state", HALF_FINISHED)
def test_a_half_finished_update_keeps_the_last_good_trust(
    folder: Path, clock: FakeClock, state: str, caplog: pytest.LogCaptureFixture
) -> None:
    break_it, why, count, level = HALF_FINISHED[state]
    (folder / "ab.pem").write_bytes(BOTH)
    caplog.set_level(logging.INFO, logger="catrust")
    with tls_server(A.issue()) as port_a, tls_server(B.issue()) as port_b:
        handshake(catrust.ssl_context(), port_b)
        break_it(folder)
        assert not catrust.reload()
        handshake(catrust.ssl_context(), port_a)
        handshake(catrust.ssl_context(), port_b)
        kept = [r for r in caplog.records if r.getMessage().startswith("keeping")]
        assert [(r.getMessage(), r.levelno) for r in kept] == [
            (
                f"keeping {count} CA(s) that the CA folders no longer provide until the folders have looked the same "
                f"for 2 s, so that a half-finished update cannot remove trust: {folder / 'ab.pem'} "
                f"({why.format(folder=folder)})",
                level,
            )
        ]
        # The update completes: no CA was lost, so no change is applied.
        folder.mkdir(exist_ok=True)
        (folder / "ab.pem").unlink(missing_ok=True)
        (folder / "ab.pem").write_bytes(BOTH)
        clock.advance(SETTLE_SECONDS)
        assert not catrust.reload() and catrust.generation() == 0
        handshake(catrust.ssl_context(), port_a)
        handshake(catrust.ssl_context(), port_b)


def test_a_file_that_is_gone_while_others_stay_is_said_plainly(
    folder: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    (folder / "a.pem").write_bytes(A.cert_pem)
    (folder / "b.pem").write_bytes(B.cert_pem)
    catrust.reload()
    caplog.set_level(logging.INFO, logger="catrust")
    (folder / "b.pem").unlink()
    assert not catrust.reload()
    kept = [(r.getMessage(), r.levelno) for r in caplog.records if r.getMessage().startswith("keeping")]
    assert kept == [
        (
            "keeping 1 CA(s) that the CA folders no longer provide until the folders have looked the same for 2 s, "
            f"so that a half-finished update cannot remove trust: {folder / 'b.pem'} (the file is gone)",
            logging.INFO,
        )
    ]


def test_a_change_whose_merge_failed_is_applied_at_the_next_check(
    ca_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loader reports a change once; if building its store fails, the next check must try again."""
    (ca_dir / "a.pem").write_bytes(A.cert_pem)
    monkeypatch.setattr(catrust._trust.scan, "FRESH_NS", 0)
    follower = Reloader(Loader(Options.resolve(str(ca_dir), system="none")))
    follower.check()
    (ca_dir / "b.pem").write_bytes(B.cert_pem)
    real_merge = catrust._trust.reloader.TrustStore.merge

    def failing_merge(*args: object, **kwargs: object) -> object:
        raise MemoryError("out of memory while building the store")

    monkeypatch.setattr(catrust._trust.reloader.TrustStore, "merge", failing_merge)
    with pytest.raises(MemoryError):
        follower.check()
    monkeypatch.setattr(catrust._trust.reloader.TrustStore, "merge", real_merge)
    store = follower.check()
    assert store is not None and len(store.custom) == 2 and follower.generation == 1
    assert follower.check() is None


def test_the_first_load_and_a_held_state_say_each_thing_once(
    ca_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing about keeping or removing at the first load; the kept CAs once per state, not per check."""
    (ca_dir / "a.pem").write_bytes(A.cert_pem)
    (ca_dir / "b.pem").write_bytes(B.cert_pem)
    monkeypatch.setattr(catrust._trust.scan, "FRESH_NS", 0)
    caplog.set_level(logging.INFO, logger="catrust")
    clock = FakeClock()
    out = ca_dir.parent / "bundle.pem"
    follower = Reloader(Loader(Options.resolve(str(ca_dir), system="none")), clock=clock, bundle=BundleFile(str(out)))
    first = follower.check()
    said = lambda: [m for m in caplog.messages if not m.startswith("trusting")]  # noqa: E731 - the summary line
    assert first is not None and said() == [] and out.read_text() == first.pem()
    (ca_dir / "b.pem").unlink()
    for _ in range(3):
        assert follower.check() is None
        clock.advance(SETTLE_SECONDS / 4)
    assert [m[:22] for m in said()] == ["keeping 1 CA(s) that t"]
    clock.advance(SETTLE_SECONDS)
    applied = follower.check()
    assert applied is not None and out.read_text() == applied.pem() and len(applied.custom) == 1
    assert said()[1:] == ["the CA folders have looked the same for 2 s: applying the removal"]


def test_every_file_whose_cas_are_kept_is_named_with_every_reason(
    folder: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    for name, ca in (("a.pem", A), ("b.pem", B), ("c.pem", C)):
        (folder / name).write_bytes(ca.cert_pem)
    catrust.reload()
    (folder / "a.pem").unlink()
    with_header = B.cert_pem.replace(b"-----\n", b"-----\nProc-Type: 4,ENCRYPTED\n\n", 1)
    (folder / "b.pem").write_bytes(with_header + with_header)
    assert not catrust.reload()
    header = "is not valid PEM (PEM headers are not allowed in a certificate block)"
    kept = [(r.getMessage(), r.levelno) for r in caplog.records if r.getMessage().startswith("keeping")]
    assert kept == [
        (
            "keeping 2 CA(s) that the CA folders no longer provide until the folders have looked the same for 2 s, "
            f"so that a half-finished update cannot remove trust: {folder / 'a.pem'} (the file is gone); "
            f"{folder / 'b.pem'} ({header}; {header})",
            logging.WARNING,
        )
    ]


def test_a_folder_that_stays_gone_ends_as_a_fresh_start_would_see_it(
    folder: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    (folder / "a.pem").write_bytes(A.cert_pem)
    with tls_server(A.issue()) as port:
        handshake(catrust.ssl_context(), port)
        shutil.rmtree(folder)
        assert not catrust.reload()
        clock.advance(SETTLE_SECONDS - 0.001)
        assert not catrust.reload()
        caplog.set_level(logging.INFO, logger="catrust")
        clock.advance(0.001)
        assert catrust.reload()
        assert "the CA folders have looked the same for 2 s: applying the removal" in caplog.messages
        refused(catrust.ssl_context(), port)  # system roots only, and verification still on
        assert catrust.default_store().missing_dirs == (str(folder),)


# --- callbacks, generation, intervals, the bundle path ---------------------------------------------


def test_on_change_runs_after_the_swap_with_the_bundle_already_rewritten(
    folder: Path, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CATRUST_BUNDLE_PATH", str(tmp_path / "ca-bundle.pem"))
    (folder / "a.pem").write_bytes(A.cert_pem)
    path = catrust.ca_bundle_path()
    calls: list[tuple[catrust.TrustStore, int, catrust.TrustStore, str]] = []

    def broken(store: catrust.TrustStore) -> None:
        raise RuntimeError("a bug in someone's callback")

    def record(store: catrust.TrustStore) -> None:
        calls.append((store, catrust.generation(), catrust.default_store(), Path(path).read_text()))

    catrust.on_change(broken)
    remove = catrust.on_change(record)
    assert catrust.generation() == 0
    (folder / "b.pem").write_bytes(B.cert_pem)
    assert catrust.reload()
    [(store, generation, in_force, on_disk)] = calls
    assert generation == 1 and in_force is store and on_disk == store.pem()
    assert "an on_change callback failed" in caplog.text
    remove()
    (folder / "c.pem").write_bytes(C.cert_pem)
    assert catrust.reload() and catrust.generation() == 2 and len(calls) == 1


def test_accesses_recheck_the_folder_once_the_interval_has_passed(
    folder: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATRUST_RELOAD_INTERVAL", "5")
    (folder / "a.pem").write_bytes(A.cert_pem)
    with tls_server(B.issue()) as port:
        ctx = catrust.ssl_context()
        (folder / "b.pem").write_bytes(B.cert_pem)
        clock.advance(4.9)
        assert catrust.ssl_context() is ctx
        clock.advance(0.1)
        handshake(catrust.ssl_context(), port)
        assert catrust.generation() == 1


def test_interval_zero_turns_checks_on_access_off_but_reload_still_works(
    folder: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATRUST_RELOAD_INTERVAL", "0")
    (folder / "a.pem").write_bytes(A.cert_pem)
    ctx = catrust.ssl_context()
    (folder / "b.pem").write_bytes(B.cert_pem)
    clock.advance(1e6)
    assert catrust.ssl_context() is ctx and catrust.generation() == 0
    assert catrust.reload() and catrust.ssl_context() is not ctx


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_an_invalid_reload_interval_is_an_error(folder: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CATRUST_RELOAD_INTERVAL", value)
    with pytest.raises(ConfigError, match="CATRUST_RELOAD_INTERVAL"):
        catrust.ssl_context()


def test_the_default_bundle_path_stays_and_follows_the_trust(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (folder / "a.pem").write_bytes(A.cert_pem)
    path = catrust.ca_bundle_path()
    (folder / "b.pem").write_bytes(B.cert_pem)
    assert catrust.reload()
    assert catrust.ca_bundle_path() == path and Path(path).read_text() == catrust.default_store().pem()
    with tls_server(B.issue()) as port:
        handshake(ssl.create_default_context(cafile=path), port)


# --- change detection -----------------------------------------------------------------------------


def test_only_changed_files_are_read_again(ca_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"ca-{i:02}.pem" for i in range(20)]
    for name in names:
        (ca_dir / name).write_bytes(A.cert_pem)
    reads: list[str] = []
    real_read = catrust._trust.loader.read

    def counting_read(path: str, max_size: int) -> object:
        reads.append(os.path.basename(path))
        return real_read(path, max_size)

    monkeypatch.setattr(catrust._trust.loader, "read", counting_read)
    follower = Reloader(Loader(Options.resolve(str(ca_dir), system="none")))
    monkeypatch.setattr(catrust._trust.scan, "FRESH_NS", 10**18)  # every file counts as just written
    assert follower.check() is not None and sorted(reads) == names
    reads.clear()
    assert follower.check() is None and sorted(reads) == names  # timestamps too coarse to trust yet
    monkeypatch.setattr(catrust._trust.scan, "FRESH_NS", 0)  # every file counts as old
    follower.check()
    reads.clear()
    assert follower.check() is None and reads == []  # stat data alone
    (ca_dir / "ca-07.pem").write_bytes(B.cert_pem)
    assert follower.check() is not None and reads == ["ca-07.pem"]


def test_a_kubelet_update_judges_again_only_the_file_whose_bytes_changed(
    ca_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(ca_dir, {"a.pem": A.cert_pem, "b.pem": B.cert_pem})
    judged: list[str] = []
    real_judge = catrust._trust.loader.judge_file

    def counting_judge(path: str, data: bytes, now: object) -> object:
        judged.append(os.path.basename(path))
        return real_judge(path, data, now)  # type: ignore[arg-type]

    monkeypatch.setattr(catrust._trust.loader, "judge_file", counting_judge)
    follower = Reloader(Loader(Options.resolve(str(ca_dir), system="none")))
    follower.check()
    judged.clear()
    publish(ca_dir, {"a.pem": A.cert_pem, "b.pem": C.cert_pem})  # every file gets a new inode
    store = follower.check()
    assert store is not None and judged == ["b.pem"]
    assert {c.subject for c in store.custom} == {ca.cert.subject.rfc4514_string() for ca in (A, B, C)}  # B kept


def counted_reads(monkeypatch: pytest.MonkeyPatch, unreadable: str = "") -> list[str]:
    """The names the loader reads from now on; `unreadable` fails as EMFILE would. Files count as settled."""
    reads: list[str] = []
    real_read = catrust._trust.loader.read

    def counting_read(path: str, max_size: int) -> object:
        reads.append(os.path.basename(path))
        if os.path.basename(path) == unreadable:
            return Unread(path, "cannot be opened: Too many open files")
        return real_read(path, max_size)

    monkeypatch.setattr(catrust._trust.loader, "read", counting_read)
    monkeypatch.setattr(catrust._trust.scan, "FRESH_NS", 0)
    return reads


def test_a_file_that_could_not_be_read_waits_for_its_retry_delay(ca_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (ca_dir / "a.pem").write_bytes(A.cert_pem)
    (ca_dir / "busy.pem").write_bytes(B.cert_pem)
    reads = counted_reads(monkeypatch, unreadable="busy.pem")
    loader = Loader(Options.resolve(str(ca_dir), system="none"))
    assert looked(loader)[(0, "busy.pem")] == (
        Rejection(str(ca_dir / "busy.pem"), "cannot be opened: Too many open files"),
    )
    (ca_dir / "a.pem").write_bytes(C.cert_pem)  # another change: the loader looks at every entry again
    looked(loader)
    assert sorted(reads) == ["a.pem", "a.pem", "busy.pem"]  # not again before UNREADABLE_RETRY (10 s)


def test_a_file_replaced_by_the_same_bytes_is_read_once_and_then_known_by_its_new_stat_data(
    ca_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (ca_dir / "a.pem").write_bytes(A.cert_pem)
    (ca_dir / "c.pem").write_bytes(C.cert_pem)
    reads = counted_reads(monkeypatch)
    loader = Loader(Options.resolve(str(ca_dir), system="none"))
    looked(loader)
    (ca_dir / "a.pem.new").write_bytes(A.cert_pem)
    os.replace(ca_dir / "a.pem.new", ca_dir / "a.pem")  # same bytes, new inode
    looked(loader)
    (ca_dir / "c.pem").write_bytes(B.cert_pem)
    looked(loader)
    assert sorted(reads) == ["a.pem", "a.pem", "c.pem", "c.pem"]


def test_a_verdict_changes_at_the_exact_moment_time_alone_changes_it(
    ca_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OpenSSL's rule: valid from notBefore until just before notAfter. The warning starts 30 days before."""
    end = datetime(2031, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
    ca = CA("moments", not_before=end - timedelta(days=400), not_after=end)
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    monkeypatch.setattr(catrust._trust.scan, "FRESH_NS", 0)

    class Moment(datetime):
        at = end - timedelta(days=100)

        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return cls.at

    monkeypatch.setattr(catrust._trust.loader, "datetime", Moment)
    loader = Loader(Options.resolve(str(ca_dir), system="none"))
    (first,) = looked(loader)[(0, "ca.pem")]
    assert isinstance(first, Certificate) and first.warnings == ()
    warned = end - EXPIRY_WARNING
    for at, due in ((warned - timedelta(microseconds=1), False), (warned, True)):
        Moment.at = at
        assert loader.recheck_due() is due
    (soon,) = looked(loader)[(0, "ca.pem")]
    assert isinstance(soon, Certificate) and soon.warnings == ("expires on 2031-03-01, in 30 days",)
    Moment.at = end - timedelta(microseconds=1)
    assert loader.look() is None
    Moment.at = end
    assert looked(loader)[(0, "ca.pem")] == (
        Rejection(
            str(ca_dir / "ca.pem"),
            "expired on 2031-03-01",
            block=1,
            subject="CN=moments,O=catrust tests",
            fingerprint=first.fingerprint,
        ),
    )


def test_kept_cas_name_the_folder_that_cannot_be_listed(
    ca_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (ca_dir / "a.pem").write_bytes(A.cert_pem)
    follower = Reloader(Loader(Options.resolve(str(ca_dir), system="none")))
    follower.check()

    def refuse(path: str) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(catrust._trust.scan.os, "scandir", refuse)
    assert follower.check() is None  # A is kept: a folder that cannot be listed may be mid-update
    kept = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and r.getMessage().startswith("keeping")]
    assert kept == [
        "keeping 1 CA(s) that the CA folders no longer provide until the folders have looked the same for 2 s, so "
        f"that a half-finished update cannot remove trust: {ca_dir / 'a.pem'} (the folder cannot be listed: "
        "Permission denied)"
    ]


# --- the background watcher and the sidecar, on the real clock ------------------------------------


def test_watch_follows_changes_in_the_background(ca_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    publish(ca_dir, {"a.pem": A.cert_pem})
    with tls_server(B.issue()) as port, catrust.watch(interval=0.05) as watcher:
        publish(ca_dir, {"a.pem": A.cert_pem, "b.pem": B.cert_pem})
        wait_until(lambda: catrust.generation() == 1)
        handshake(catrust.ssl_context(), port)
        publish(ca_dir, {"a.pem": A.cert_pem})
        wait_until(lambda: catrust.generation() == 2)  # after the real SETTLE_SECONDS
        refused(catrust.ssl_context(), port)
    assert not watcher.running


def test_watch_needs_a_positive_interval() -> None:
    with pytest.raises(ConfigError, match="positive"):
        catrust.watch(interval=0)


def sidecar(ca_dir: Path, out: Path, interval: str) -> subprocess.Popen[str]:
    """`catrust watch` in a child process, with none of the CATRUST_ variables of this one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATRUST_")}
    command = [sys.executable, "-m", "catrust", "--ca-dir", str(ca_dir), "--system", "none"]
    command += ["watch", "--out", str(out), "--interval", interval]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_watch_sidecar_keeps_the_bundle_current_and_stops_cleanly(
    ca_dir: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    out = tmp_path / "shared" / "ca-bundle.pem"
    out.parent.mkdir()
    publish(ca_dir, {"a.pem": A.cert_pem})
    with sidecar(ca_dir, out, "0.05") as proc:
        assert proc.stdout is not None and proc.stderr is not None
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or ()])
        reader.start()
        try:
            assert lines.get(timeout=60).startswith(f"generation 0: wrote {out}: 1 certificates (1 custom, 0 system)")
            with tls_server(B.issue()) as port:
                refused(ssl.create_default_context(cafile=str(out)), port)
                publish(ca_dir, {"a.pem": A.cert_pem, "b.pem": B.cert_pem})
                assert lines.get(timeout=60).startswith(f"generation 1: wrote {out}: 2 certificates")
                handshake(ssl.create_default_context(cafile=str(out)), port)
        finally:
            proc.send_signal(signum)
            returncode = proc.wait(timeout=60)
            reader.join(60)
        stderr = proc.stderr.read()
    assert returncode == 0 and "Traceback" not in stderr


def test_the_sidecar_stops_wherever_the_signal_lands(ca_dir: Path, tmp_path: Path) -> None:
    """During the first write, a check or the wait between checks, SIGTERM ends it with status 0.

    The sidecar once hung on SIGTERM (its handler set a threading.Event the main thread was waiting
    on); that race was too rare to reproduce on demand, so this sends the signal at many moments."""
    publish(ca_dir, {"a.pem": A.cert_pem, "b.pem": B.cert_pem})
    for delay in (0.0, 0.001, 0.002, 0.004, 0.007, 0.01, 0.015, 0.02, 0.03, 0.05):
        with sidecar(ca_dir, tmp_path / "ca-bundle.pem", "0.005") as proc:
            assert proc.stdout is not None and proc.stdout.readline().startswith("generation 0: wrote")
            time.sleep(delay)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0, delay


def test_per_trigger_contexts_are_built_on_the_trust_in_force(folder: Path, update: Update) -> None:
    """tls_context() caches per store: after a change the next call builds on the new trust."""
    update(folder, {"a.pem": A.cert_pem})
    trigger_ca = CA("trigger ca")
    before = catrust.tls_context(ca=trigger_ca.cert_pem)
    assert catrust.tls_context(ca=trigger_ca.cert_pem) is before
    with tls_server(B.issue()) as port:
        refused(before, port)
        update(folder, {"a.pem": A.cert_pem, "b.pem": B.cert_pem})
        assert catrust.reload()
        after = catrust.tls_context(ca=trigger_ca.cert_pem)
        assert after is not before
        handshake(after, port)
        refused(before, port)


def test_verdicts_that_time_alone_changes_are_judged_again(folder: Path, clock: FakeClock) -> None:
    """Same bytes, same stat data: a CA whose validity starts (or ends) is still re-judged when it does."""
    from datetime import datetime, timedelta, timezone

    start = datetime.now(timezone.utc) + timedelta(seconds=2)
    soon = CA("starts soon", not_before=start)
    publish(folder, {"a.pem": A.cert_pem, "soon.pem": soon.cert_pem})
    with tls_server(soon.issue()) as port:
        refused(catrust.ssl_context(), port)
        assert not catrust.reload()
        wait_until(lambda: datetime.now(timezone.utc) > start + timedelta(seconds=0.1))
        assert catrust.reload()
        handshake(catrust.ssl_context(), port)
    assert catrust.default_store().custom[-1].subject.startswith("CN=starts soon")


def test_two_half_finished_moments_two_seconds_apart_are_not_one_settled_state(folder: Path, clock: FakeClock) -> None:
    """A sync script's rm-then-cp, caught twice by checks 2 s apart, never looked settled."""
    edit(folder, {"a.pem": A.cert_pem})
    catrust.reload()
    with tls_server(A.issue()) as port:
        for _ in range(2):
            (folder / "a.pem").unlink()  # mid-sync: the folder is empty
            catrust.reload()
            edit(folder, {"a.pem": A.cert_pem})  # the copy lands; no check sees it
            clock.advance(SETTLE_SECONDS + 0.1)
        (folder / "a.pem").unlink()
        catrust.reload()
        handshake(catrust.ssl_context(), port)  # still trusted: nothing was ever stable without it


def test_a_read_that_fails_when_time_calls_for_a_new_verdict_keeps_the_old_one(
    ca_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same bytes, same stat data: one failed read (EMFILE, EIO) must not turn a trusted CA into a rejection."""
    from datetime import datetime, timedelta, timezone

    import catrust._trust.loader
    from catrust._files import Unread
    from catrust._trust.policy import EXPIRY_WARNING

    boundary = datetime.now(timezone.utc) + timedelta(seconds=3)  # room for a loaded machine to judge it first
    ending = CA("ends in a month", not_after=boundary + EXPIRY_WARNING)
    (ca_dir / "ca.pem").write_bytes(ending.cert_pem)
    loader = Loader(Options.resolve(str(ca_dir), system="none"))
    files = looked(loader)
    (before,) = files[(0, "ca.pem")]
    assert before.warnings == () and not loader.recheck_due()
    wait_until(loader.recheck_due)
    real_read = catrust._trust.loader.read
    monkeypatch.setattr(catrust._trust.loader, "UNREADABLE_RETRY", timedelta(0))
    monkeypatch.setattr(
        catrust._trust.loader, "read", lambda path, size: Unread(path, "cannot be opened: Too many open files")
    )
    files = looked(loader)
    assert files[(0, "ca.pem")] == (before,)  # kept, and tried again at the next check
    monkeypatch.setattr(catrust._trust.loader, "read", real_read)
    files = looked(loader)
    (after,) = files[(0, "ca.pem")]
    assert after.fingerprint == before.fingerprint and after.warnings and "expires on" in after.warnings[0]


def looked(loader: Loader) -> Files:
    """The verdicts of a look that must find something."""
    look = loader.look()
    assert look is not None
    return look.files


def test_a_file_changed_moments_ago_is_read_again_until_the_real_window_passes(ca_dir: Path) -> None:
    """Stat data proves nothing for a file changed within the last 2 s (timestamps are coarse): `cp -p` or
    `rsync -t` can replace its content keeping its size and mtime. Here the real window, not a patched one."""
    first = CA("fresh a")
    second = next(c for c in (CA("fresh b") for _ in range(50)) if len(c.cert_pem) == len(first.cert_pem))
    path = ca_dir / "ca.pem"
    path.write_bytes(first.cert_pem)
    loader = Loader(Options.resolve(str(ca_dir), system="none"))
    assert [c.subject for c in looked_custom(loader)] == ["CN=fresh a,O=catrust tests"]
    kept = path.stat()
    with path.open("r+b") as same_inode:
        same_inode.write(second.cert_pem)  # same size, same inode
    os.utime(path, ns=(kept.st_atime_ns, kept.st_mtime_ns))  # and the mtime put back, as cp -p does
    assert [c.subject for c in looked_custom(loader)] == ["CN=fresh b,O=catrust tests"]
    assert loader.look() is not None  # still inside the window: read again, though nothing changed
    wait_until(lambda: loader.look() is None, timeout=10)  # once it is older than the window, stat data suffices
    assert time.time_ns() - kept.st_mtime_ns >= catrust._trust.scan.FRESH_NS


def looked_custom(loader: Loader) -> list[Certificate]:
    return [c for verdicts in looked(loader).values() for c in verdicts if isinstance(c, Certificate)]
