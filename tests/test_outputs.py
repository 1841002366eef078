"""One truth: the bundle text, the bundle file, the context and the defaults all hold the same set."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import ssl
import stat
import threading
from datetime import timedelta
from pathlib import Path

import pytest

import catrust
from catrust import CatrustError, TrustStore
from tests.support.certkit import CA, NOW, key_pem
from tests.support.tlsserver import handshake, tls_server


@pytest.fixture
def store(ca_dir: Path, ca: CA) -> TrustStore:
    (ca_dir / "b-root.pem").write_bytes(ca.cert_pem + key_pem(ca.key))
    (ca_dir / "a-other.pem").write_bytes(CA("other").cert_pem)
    return TrustStore.load(str(ca_dir), system="certifi")


def fingerprints(pem_text: str) -> list[str]:
    """Read independently of catrust's parser (and of cryptography, which warns on a certifi root)."""
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", pem_text, re.S)
    return [hashlib.sha256(ssl.PEM_cert_to_DER_cert(b)).hexdigest() for b in blocks]


def test_bundle_context_and_lists_agree(store: TrustStore) -> None:
    from_bundle = fingerprints(store.pem())
    assert from_bundle == [c.fingerprint for c in store.certificates]
    assert len(set(from_bundle)) == len(from_bundle)
    assert store.ssl_context().cert_store_stats()["x509"] == len(from_bundle)
    assert [c.fingerprint for c in store.certificates[:2]] == [c.fingerprint for c in store.custom]


def test_bundle_holds_only_certificates_with_comments_for_custom_ones(store: TrustStore) -> None:
    text = store.pem()
    labels = {line for line in text.splitlines() if line.startswith("-----")}
    assert labels == {"-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"}
    first = store.custom[0]
    head = text.split("-----BEGIN", 1)[0]
    assert f"# {first.subject}" in head and f"# sha256: {first.fingerprint}" in head
    assert f"# source: {first.path} #1" in head and "# expires: " in head
    assert text == TrustStore.load(store.ca_dirs, system="certifi").pem()  # deterministic


def test_write_bundle_is_atomic_0644_and_untouched_when_unchanged(store: TrustStore, tmp_path: Path) -> None:
    target = tmp_path / "out" / "bundle.pem"
    target.parent.mkdir()
    assert store.write_bundle(target) == str(target)
    assert target.read_text() == store.pem()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    before = target.stat()
    store.write_bundle(target)
    after = target.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert os.listdir(target.parent) == ["bundle.pem"]  # no temporary files left behind


def test_write_bundle_into_a_missing_folder_is_a_clear_error(store: TrustStore, tmp_path: Path) -> None:
    with pytest.raises(CatrustError, match="cannot write"):
        store.write_bundle(tmp_path / "nope" / "bundle.pem")


def test_one_info_summary_and_one_warning_per_rejected_file(
    ca_dir: Path, ca: CA, caplog: pytest.LogCaptureFixture
) -> None:
    (ca_dir / "good.pem").write_bytes(ca.cert_pem)
    (ca_dir / "bad.pem").write_bytes(b"junk")
    expired = CA("expired", not_before=NOW - timedelta(days=90), not_after=NOW - timedelta(days=1))
    (ca_dir / "two-problems.pem").write_bytes(expired.cert_pem + key_pem(ca.key))
    caplog.set_level(logging.INFO, logger="catrust")
    TrustStore.load(str(ca_dir), system="none")
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(infos) == 1 and "trusting 1 custom CAs" in infos[0].getMessage()
    assert len(warnings) == 2
    assert any("bad.pem" in w for w in warnings) and any(
        "two-problems.pem" in w and "private key" in w for w in warnings
    )


def test_process_wide_defaults(ca_dir: Path, ca: CA, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ctx = catrust.ssl_context()
    assert catrust.ssl_context() is ctx
    path = catrust.ca_bundle_path()
    assert path.startswith(str(tmp_path / "cache" / "catrust"))
    assert Path(path).read_text() == catrust.default_store().pem()
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    with tls_server(ca.issue()) as port:
        handshake(ctx, port)
        handshake(ssl.create_default_context(cafile=path), port)


def test_bundle_path_from_the_environment(ca_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    monkeypatch.setenv("CATRUST_BUNDLE_PATH", str(tmp_path / "ca-bundle.pem"))
    assert catrust.ca_bundle_path() == str(tmp_path / "ca-bundle.pem")
    assert (tmp_path / "ca-bundle.pem").exists()


def test_default_store_is_built_once_under_concurrency(ca_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    seen: list[ssl.SSLContext] = []
    barrier = threading.Barrier(16)

    def grab() -> None:
        barrier.wait()
        seen.append(catrust.ssl_context())

    threads = [threading.Thread(target=grab) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 16 and len({id(c) for c in seen}) == 1
