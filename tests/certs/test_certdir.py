"""The folder layout: generations behind `..data`, one atomic swap, key modes, failures that change nothing."""

from __future__ import annotations

import errno
import os
import stat
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import x25519

from catrust import CatrustError, CertFolderError, MutualTLS, ensure_cert_dir
from catrust._certs.check import inspect, key_matches
from catrust._certs.folder import CertFiles, publish, read
from catrust._files import write_atomic
from tests.support.certdirkit import FAST, LEAF_DUE, NAMES, generated
from tests.support.certkit import CA, NOW, Leaf


def generations(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name.startswith("..2"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return dict(read(str(folder)).contents)


def test_layout_is_the_kubelets(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    [generation] = generations(folder)
    assert os.readlink(folder / "..data") == generation
    for name in ("ca.crt", "ca.key", "tls.crt", "tls.key"):
        assert os.readlink(folder / name) == f"..data/{name}"
        mode = stat.S_IMODE(os.stat(folder / generation / name).st_mode)
        assert mode == (0o600 if name.endswith(".key") else 0o644), name
    files = read(str(folder))
    assert (
        files.layout == "generations"
        and files.links_ok
        and set(files.contents) == {"ca.crt", "ca.key", "tls.crt", "tls.key"}
    )


def test_renewal_swaps_in_a_new_generation_and_removes_the_old(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    first = generations(folder)
    ensure_cert_dir(folder, NAMES, options=LEAF_DUE)
    second = generations(folder)
    assert len(second) == 1 and second != first
    assert os.readlink(folder / "..data") == second[0]


def test_a_reader_never_sees_a_key_from_another_generation(tmp_path: Path) -> None:
    """Readers resolve `..data` once; a writer swaps generations underneath them, again and again."""
    folder = generated(tmp_path / "certs")
    sets = [snapshot(folder)]
    for _ in range(3):
        ensure_cert_dir(folder, NAMES, options=LEAF_DUE)
        sets.append(snapshot(folder))
    stop = threading.Event()
    mismatches: list[str] = []
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            checked = inspect(read(str(folder)), datetime.now(timezone.utc))
            assert checked.key is not None and checked.leaf is not None
            if not key_matches(checked.key, checked.leaf):
                mismatches.append(checked.files.folder)
            reads[0] += 1

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(40):
            publish(str(folder), sets[i % len(sets)], datetime.now(timezone.utc))
    finally:
        stop.set()
        thread.join(30)
    assert not mismatches and reads[0] > 0
    assert len(generations(folder)) == 1


@pytest.mark.parametrize(
    "step, error",
    [
        ("mkdtemp", OSError(errno.EACCES, "Permission denied")),
        ("write", OSError(errno.ENOSPC, "No space left on device")),
        ("swap", OSError(errno.EROFS, "Read-only file system")),
    ],
)
def test_a_failed_write_leaves_the_previous_set_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str, error: OSError
) -> None:
    """Tests run as root, so permissions cannot make a folder unwritable: the failure is injected."""
    folder = generated(tmp_path / "certs")
    before, before_generations = snapshot(folder), generations(folder)

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    if step == "mkdtemp":
        monkeypatch.setattr("tempfile.mkdtemp", fail)
    elif step == "write":
        real = write_atomic
        monkeypatch.setattr(
            "catrust._certs.folder.write_atomic",
            lambda path, data, mode: fail() if path.endswith("tls.key") else real(path, data, mode),
        )
    else:
        real_replace = os.replace
        monkeypatch.setattr("os.replace", lambda src, dst: fail() if dst.endswith("..data") else real_replace(src, dst))
    with pytest.raises(
        CatrustError, match=f"cannot write certificates in .*{error.strerror}.*previous certificates stay"
    ):
        ensure_cert_dir(folder, NAMES, options=LEAF_DUE)
    monkeypatch.undo()
    assert snapshot(folder) == before and generations(folder) == before_generations


def test_a_missing_folder_is_created_and_a_file_is_refused(tmp_path: Path) -> None:
    generated(tmp_path / "a" / "b")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CatrustError, match=r"cannot create the certificate folder"):
        ensure_cert_dir(tmp_path / "file", NAMES, options=FAST)


def test_plain_files_are_never_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "byo"
    folder.mkdir()
    (folder / "tls.crt").write_bytes(b"mine")
    with pytest.raises(CatrustError, match=r"catrust did not write .* never overwritten"):
        ensure_cert_dir(folder, NAMES, options=FAST)
    assert sorted(os.listdir(folder)) == ["tls.crt"] and (folder / "tls.crt").read_bytes() == b"mine"


def test_broken_visible_links_are_repaired(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    leaf = (folder / "tls.crt").read_bytes()
    os.unlink(folder / "tls.crt")
    result = ensure_cert_dir(folder, NAMES, options=FAST)
    assert result.changed and "..data" in result.reasons[0]
    assert os.readlink(folder / "tls.crt") == "..data/tls.crt" and (folder / "tls.crt").read_bytes() == leaf


@pytest.mark.parametrize("spoil", ["fifo", "oversized"])
def test_an_unreadable_file_makes_the_set_a_cert_folder_error(tmp_path: Path, spoil: str) -> None:
    """Callers catch CertFolderError for a folder they cannot use, whatever the file is: never a bare FileError."""
    folder = tmp_path / "plain"
    folder.mkdir()
    for name, data in snapshot(generated(tmp_path / "made")).items():
        (folder / name).write_bytes(data)
    (folder / "tls.crt").unlink()
    if spoil == "fifo":
        os.mkfifo(folder / "tls.crt")
    else:
        (folder / "tls.crt").write_bytes(b"#" * (2 << 20))
    for attempt in (lambda: MutualTLS(folder), lambda: ensure_cert_dir(folder, generate=False)):
        with pytest.raises(CertFolderError, match=r"tls\.crt (is a named pipe|is \d+ bytes, over)"):
            attempt()


def _set(ca: CA, leaf: Leaf, key: bytes | None = None, chain: bytes | None = None) -> CertFiles:
    contents = {"ca.crt": ca.cert_pem, "tls.crt": chain or leaf.chain_pem, "tls.key": key or leaf.key_pem}
    return CertFiles("/certs", "/certs", "plain", contents, True)


def test_a_key_that_cannot_sign_is_named() -> None:
    ca = CA("component ca")
    agreement_only = x25519.X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    checked = inspect(_set(ca, ca.issue("svc"), key=agreement_only), NOW)
    assert checked.problems["tls.key"] == ("tls.key holds a key type that cannot sign certificates",)


def test_a_certificate_not_yet_valid_is_named() -> None:
    ca = CA("component ca")
    later = ca.issue("svc", not_before=NOW + timedelta(days=2), not_after=NOW + timedelta(days=30))
    (problem,) = inspect(_set(ca, later), NOW).problems["tls.crt"]
    assert problem.startswith("tls.crt is not valid until ")


def test_a_certificate_without_client_auth_is_named() -> None:
    ca = CA("component ca")
    leaf = ca.issue("svc")
    server_only = (
        x509.CertificateBuilder()
        .subject_name(leaf.cert.subject)
        .issuer_name(ca.name)
        .public_key(leaf.key.public_key())
        .serial_number(5)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    chain = server_only.public_bytes(serialization.Encoding.PEM)
    (problem,) = inspect(_set(ca, leaf, chain=chain), NOW).problems["tls.crt"]
    assert problem == "tls.crt lacks the extended key usage clientAuth: mutual TLS needs both serverAuth and clientAuth"


def test_a_certificate_from_an_intermediate_it_carries_chains_to_the_root() -> None:
    root = CA("component root")
    middle = root.intermediate("component intermediate")
    leaf = middle.issue("svc")  # its chain_pem carries the intermediate
    assert "tls.crt" not in inspect(_set(root, leaf), NOW).problems
    alone = leaf.cert.public_bytes(serialization.Encoding.PEM)  # without it, nothing links it to ca.crt
    (problem,) = inspect(_set(root, leaf, chain=alone), NOW).problems["tls.crt"]
    assert problem.startswith("tls.crt is not issued by a CA in ca.crt")
