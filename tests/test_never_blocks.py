"""Every file catrust reads or writes for a caller: a FIFO, a device or a blocking file never hangs it."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from catrust import CatrustError, TrustStore, tls_context
from catrust._files import write_atomic
from tests.support.certkit import CA
from tests.support.servers import missing


def finishes(action: Callable[[], object], timeout: float = 20) -> BaseException | None:
    """Run `action` in a thread; fail if it is still running after `timeout`. Returns what it raised."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            action()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "blocked"
    return outcome[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


def test_per_trigger_ca_cert_and_key_given_as_fifo(fifo: Path, ca: CA, tmp_path: Path) -> None:
    store = TrustStore.load([], system="none")
    leaf = ca.issue("client")
    (tmp_path / "tls.crt").write_bytes(leaf.chain_pem)
    for kwargs in ({"ca": fifo}, {"cert": fifo, "key": leaf.key_pem}, {"cert": tmp_path / "tls.crt", "key": fifo}):
        error = finishes(lambda kwargs=kwargs: tls_context(store=store, **kwargs))
        assert isinstance(error, CatrustError), error
        assert "named pipe" in str(error) or "not shown" in str(error)


def test_a_key_without_its_begin_line_is_never_echoed(ca: CA) -> None:
    leaf = ca.issue("client")
    body = "".join(leaf.key_pem.decode().splitlines()[1:-1])
    with pytest.raises(CatrustError) as failure:
        tls_context(cert=leaf.chain_pem, key=body, store=TrustStore.load([], system="none"))
    assert body[:20] not in str(failure.value) and "not shown" in str(failure.value)


def test_writing_a_bundle_over_a_fifo_or_device_is_refused(fifo: Path) -> None:
    error = finishes(lambda: write_atomic(str(fifo), b"# catrust bundle\n"))
    assert isinstance(error, CatrustError) and "not a regular file" in str(error)
    assert fifo.is_fifo()
    error = finishes(lambda: write_atomic("/dev/null", b"# catrust bundle\n"))
    assert isinstance(error, CatrustError) and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_symlinked_bundle_path_of_our_own_keeps_its_link(tmp_path: Path) -> None:
    target = tmp_path / "real.pem"
    target.write_text("old")
    link = tmp_path / "link.pem"
    link.symlink_to(target)
    assert write_atomic(str(link), b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"


def test_a_symlink_planted_by_another_user_is_refused(tmp_path: Path) -> None:
    """/tmp/ca-bundle.pem -> ~/.ssh/authorized_keys, left there by someone else."""
    if os.geteuid() != 0:
        missing("a link owned by another user", "only root can make one: run the suite as root")
    victim = tmp_path / "authorized_keys"
    victim.write_text("ssh-ed25519 AAAA me")
    link = tmp_path / "ca-bundle.pem"
    link.symlink_to(victim)
    os.lchown(link, 65534, 65534)
    error = finishes(lambda: write_atomic(str(link), b"# catrust bundle\n"))
    assert isinstance(error, CatrustError) and "owned by another user" in str(error)
    assert victim.read_text() == "ssh-ed25519 AAAA me" and link.is_symlink()


def test_a_fifo_as_ssl_cert_file_or_in_ssl_cert_dir(
    fifo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(fifo))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    error = finishes(lambda: TrustStore.load([], system="auto"))
    assert error is None


def test_a_regular_file_that_blocks_is_skipped(ca_dir: Path) -> None:
    """/proc/kmsg says it is a regular file, then blocks: it must be reported, not crash or hang."""
    if not os.access("/proc/kmsg", os.R_OK):
        missing("/proc/kmsg", "it is readable by root only: run the suite as root")
    (ca_dir / "kmsg").symlink_to("/proc/kmsg")
    (ca_dir / "ok.pem").write_bytes(CA().cert_pem)
    stores: list[TrustStore] = []
    assert finishes(lambda: stores.append(TrustStore.load(str(ca_dir), system="none"))) is None
    assert len(stores[0].custom) == 1
    assert any(os.path.basename(r.path) == "kmsg" for r in stores[0].rejected)


def test_a_fifo_in_the_certificate_folder(fifo: Path, tmp_path: Path) -> None:
    from catrust._certs import folder as certdir

    folder = tmp_path / "certs"
    folder.mkdir()
    os.mkfifo(folder / "tls.key")
    error = finishes(lambda: certdir.read(str(folder)))
    assert isinstance(error, CatrustError) and "named pipe" in str(error)
