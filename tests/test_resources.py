"""What catrust holds on to: no file descriptor leaks, and keys handed to OpenSSL never touch the disk."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from catrust import TrustStore, tls_context
from catrust import _keys as keys
from catrust._options import Options
from catrust._trust.loader import Loader
from catrust._trust.reloader import Reloader
from tests.support.certkit import CA


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_file_descriptors_stay_flat_across_200_loads_reloads_and_client_keys(ca_dir: Path, ca: CA) -> None:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    client = ca.issue("client")
    store = TrustStore.load(str(ca_dir), system="none")
    tls_context(cert=client.chain_pem, key=client.key_pem, server_name="warm-up", store=store)
    follower = Reloader(Loader(Options.resolve(str(ca_dir), system="none")), settle=0)
    follower.check()
    before = open_fds()
    for i in range(200):
        TrustStore.load(str(ca_dir), system="none").ssl_context()
        (ca_dir / "ca.pem").write_bytes(ca.cert_pem if i % 2 else CA(f"other {i}").cert_pem)
        assert follower.check() is not None  # every round a real change, read, parsed and built
        tls_context(cert=client.chain_pem, key=client.key_pem, server_name=f"n{i}", store=store)  # not cached
    assert open_fds() == before


def test_a_key_reaches_openssl_through_a_memory_file_that_is_closed_after(tmp_path: Path) -> None:
    with keys.secret_file(b"the key") as path:
        assert path is not None and path.startswith("/proc/self/fd/")
        assert os.readlink(path).startswith("/memfd:catrust-key")  # in memory, never on a disk
        assert Path(path).read_bytes() == b"the key"
        fd = int(path.rsplit("/", 1)[1])
        before = os.fstat(fd)
    try:
        after = os.fstat(fd)
    except OSError:
        return  # closed
    assert (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino), "the memory file is still open"


def test_without_memory_files_a_key_is_a_private_file_removed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "memfd_create")
    with keys.secret_file(b"the key") as path:
        assert path is not None and not path.startswith("/proc/")
        folder = os.path.dirname(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and stat.S_IMODE(os.stat(folder).st_mode) == 0o700
        assert Path(path).read_bytes() == b"the key"
    assert not os.path.exists(folder)


def test_no_data_no_file() -> None:
    with keys.secret_file(None) as path:
        assert path is None
