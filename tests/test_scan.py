"""Which files are read: the Kubernetes layout counts once, odd entries are reported, nothing blocks."""

from __future__ import annotations

import errno
import os
import socket
import threading
from pathlib import Path

import pytest

import catrust._trust.scan
from catrust import TrustStore
from catrust._files import StatKey
from catrust._trust.scan import FRESH_NS, is_fresh
from tests.support.certkit import CA, der, key_pem, pem


def load(*dirs: Path, **kwargs: object) -> TrustStore:
    return TrustStore.load([str(d) for d in dirs], system="none", **kwargs)  # type: ignore[arg-type]


def reasons(store: TrustStore) -> dict[str, str]:
    return {os.path.basename(r.path): r.reason for r in store.rejected}


def test_kubernetes_secret_layout_counts_each_certificate_once(ca_dir: Path) -> None:
    a, b = CA("root a"), CA("root b")
    data = ca_dir / "..2026_11_23_10_00_00.123456789"
    data.mkdir()
    (data / "a.crt").write_bytes(a.cert_pem)
    (data / "b.pem").write_bytes(b.cert_pem)
    (ca_dir / "..data").symlink_to(data.name)
    (ca_dir / "a.crt").symlink_to("..data/a.crt")
    (ca_dir / "b.pem").symlink_to("..data/b.pem")
    store = load(ca_dir)
    assert sorted(c.subject for c in store.custom) == ["CN=root a,O=catrust tests", "CN=root b,O=catrust tests"]
    assert store.rejected == () and store.duplicates == ()
    assert [os.path.basename(c.path) for c in store.custom] == ["a.crt", "b.pem"]  # the visible names


def test_every_name_is_read_whatever_its_extension(ca_dir: Path) -> None:
    for i, name in enumerate(["ca.crt", "ca.pem", "ca.cer", "README", "corp-root"]):
        (ca_dir / name).write_bytes(CA(f"root {i}").cert_pem)
    assert len(load(ca_dir).custom) == 5


def test_dot_names_are_read_and_only_the_kubelets_double_dot_names_skipped(ca_dir: Path) -> None:
    """KEDA reads `.corp.pem`; only `..data` and `..2026_…` (the kubelet's) are skipped."""
    (ca_dir / ".corp.pem").write_bytes(CA("dot").cert_pem)
    (ca_dir / ".ca.pem.swp").write_bytes(b"b0VIM 8.2\x00\x00 an editor's swap file")
    (ca_dir / "..2026_01_01_00_00_00.123").mkdir()
    (ca_dir / "..data").symlink_to("..2026_01_01_00_00_00.123")
    store = load(ca_dir)
    assert [os.path.basename(c.path) for c in store.custom] == [".corp.pem"]
    (swap,) = store.rejected
    assert swap.path.endswith(".ca.pem.swp") and "not a DER certificate" in swap.reason


def test_several_folders_in_order_and_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    (first / "z.pem").write_bytes(CA("first").cert_pem)
    (second / "a.pem").write_bytes(CA("second").cert_pem)
    monkeypatch.setenv("CATRUST_CA_DIRS", os.pathsep.join([str(first), str(second)]))
    store = TrustStore.load(system="none")
    assert [c.subject.split(",")[0] for c in store.custom] == ["CN=first", "CN=second"]
    assert store.ca_dirs == (str(first), str(second))


def test_default_folder_is_kedas(monkeypatch: pytest.MonkeyPatch) -> None:
    store = TrustStore.load(system="none")
    assert store.ca_dirs == ("/custom/ca",)


def test_missing_folder_warns_and_system_roots_still_load(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = TrustStore.load(str(tmp_path / "absent"), system="certifi")
    assert store.missing_dirs == (str(tmp_path / "absent"),)
    assert len(store.system) > 50 and store.custom == ()
    assert any("does not exist" in r.message and r.levelname == "WARNING" for r in caplog.records)


def test_a_file_given_as_folder_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "bundle.pem"
    f.write_bytes(CA().cert_pem)
    store = load(f)
    assert [(r.path, r.reason) for r in store.rejected] == [
        (str(f), "is a file, not a folder: pass the folder that holds it")
    ]
    assert store.custom == () and store.missing_dirs == ()


def test_a_folder_that_cannot_be_listed_is_one_problem_and_the_system_roots_stay(
    ca_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In this process: tests/test_local_attacker.py proves the same as an unprivileged user, in a child."""
    (ca_dir / "ca.pem").write_bytes(CA().cert_pem)

    def refuse(path: str) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(catrust._trust.scan.os, "scandir", refuse)
    store = TrustStore.load(str(ca_dir), system="certifi")
    assert [(r.path, r.reason) for r in store.rejected] == [
        (str(ca_dir), "the folder cannot be listed: Permission denied")
    ]
    assert store.custom == () and store.missing_dirs == () and len(store.system) > 50


def test_an_entry_is_fresh_for_exactly_the_freshness_window() -> None:
    taken = 10 * FRESH_NS
    for changed, fresh in ((taken - FRESH_NS, False), (taken - FRESH_NS + 1, True), (taken, True)):
        for key in (StatKey(0, 0, 0, changed, 0, 0), StatKey(0, 0, 0, 0, changed, 0)):  # mtime, then ctime
            assert is_fresh(key, taken) == fresh, (key, fresh)


def test_odd_entries_are_reported_and_never_block(ca_dir: Path) -> None:
    (ca_dir / "good.pem").write_bytes(CA().cert_pem)
    (ca_dir / "subdir").mkdir()
    os.mkfifo(ca_dir / "fifo")
    (ca_dir / "dangling").symlink_to(ca_dir / "nowhere")
    (ca_dir / "loop1").symlink_to(ca_dir / "loop2")
    (ca_dir / "loop2").symlink_to(ca_dir / "loop1")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(ca_dir / "sock"))
    (ca_dir / "link-to-dir").symlink_to(ca_dir / "subdir")
    (ca_dir / "link-to-fifo").symlink_to(ca_dir / "fifo")
    (ca_dir / "null").symlink_to("/dev/null")

    result: list[TrustStore] = []
    thread = threading.Thread(target=lambda: result.append(load(ca_dir)), daemon=True)
    thread.start()
    thread.join(20)
    sock.close()
    assert not thread.is_alive(), "loading the folder blocked"
    got = reasons(result[0])
    assert len(result[0].custom) == 1
    assert "not searched recursively" in got["subdir"] and "not searched recursively" in got["link-to-dir"]
    assert "named pipe" in got["fifo"] and "named pipe" in got["link-to-fifo"]
    assert "dangling" in got["dangling"]
    assert "loops" in got["loop1"] and "loops" in got["loop2"]
    assert "socket" in got["sock"]
    assert "device" in got["null"]


def test_symlink_to_a_regular_file_elsewhere_is_followed(tmp_path: Path, ca_dir: Path) -> None:
    target = tmp_path / "elsewhere.pem"
    target.write_bytes(CA().cert_pem)
    (ca_dir / "corp.pem").symlink_to(target)
    assert len(load(ca_dir).custom) == 1


def test_oversized_file_is_reported_without_being_read(ca_dir: Path) -> None:
    huge = ca_dir / "huge.pem"
    with open(huge, "wb") as f:
        f.truncate(64 * 1024**3)  # sparse: reading it into memory would exhaust the machine
    (ca_dir / "ok.pem").write_bytes(CA().cert_pem)
    store = load(ca_dir)
    assert "over the 1048576-byte limit" in reasons(store)["huge.pem"]
    assert len(store.custom) == 1


def test_size_limit_is_configurable(ca_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (ca_dir / "ca.pem").write_bytes(CA().cert_pem)
    assert "limit" in reasons(load(ca_dir, max_file_size=100))["ca.pem"]
    monkeypatch.setenv("CATRUST_MAX_FILE_SIZE", "100")
    assert "limit" in reasons(load(ca_dir))["ca.pem"]


def test_der_and_key_files_side_by_side(ca_dir: Path) -> None:
    ca = CA()
    (ca_dir / "root.der").write_bytes(der(ca.cert))
    (ca_dir / "root.key").write_bytes(key_pem(ca.key))
    (ca_dir / "both.pem").write_bytes(pem(CA("other").cert) + key_pem(ca.key))
    store = load(ca_dir)
    assert len(store.custom) == 2
    assert "private key" in reasons(store)["root.key"]
