"""System roots: found like Go finds them, trusted as shipped, a quirk in one never breaks loading."""

from __future__ import annotations

import shutil
import ssl
import warnings
from pathlib import Path

import certifi
import pytest

from catrust import ConfigError, TrustStore
from catrust._trust import system as system_roots
from tests.support.certkit import CA
from tests.support.tlsserver import handshake, tls_server


def test_none_and_certifi(tmp_path: Path) -> None:
    assert TrustStore.load([], system="none").system == ()
    store = TrustStore.load([], system="certifi")
    assert store.system_source == "certifi" and len(store.system) > 100
    assert store.system[0].path == certifi.where()


def test_unknown_mode_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="system='sometimes'"):
        TrustStore.load([], system="sometimes")


def test_auto_reads_the_os_bundle_like_go(monkeypatch: pytest.MonkeyPatch) -> None:
    found = [f for f in system_roots.WELL_KNOWN_FILES if Path(f).is_file()]
    if not found:
        from tests.support.servers import missing

        missing("an operating-system CA bundle", "install the ca-certificates package")
    store = TrustStore.load([], system="auto")
    assert store.system and "certifi" not in store.system_source
    assert not store.system_problems


def test_ssl_cert_file_replaces_the_bundle_and_ssl_cert_dir_adds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = CA("env file root"), CA("env dir root")
    (tmp_path / "roots.pem").write_bytes(a.cert_pem)
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "b.pem").write_bytes(b.cert_pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "roots.pem"))
    store = TrustStore.load([], system="os")
    assert [c.subject for c in store.system] == ["CN=env file root,O=catrust tests"]
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "dir"))
    store = TrustStore.load([], system="os")
    assert [c.subject.split(",")[0] for c in store.system] == ["CN=env file root", "CN=env dir root"]
    with tls_server(b.issue()) as port:
        handshake(store.ssl_context(), port)


def test_missing_ssl_cert_file_is_loud_and_auto_falls_back_to_certifi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "absent.pem"))
    monkeypatch.setattr(system_roots, "WELL_KNOWN_DIRS", ())
    store = TrustStore.load([], system="auto")
    assert store.system_source == "certifi" and store.system
    assert "SSL_CERT_FILE" in store.system_problems[0]
    assert "SSL_CERT_FILE" in caplog.text
    assert TrustStore.load([], system="os").system == ()


def test_distroless_image_falls_back_to_certifi(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(system_roots, "WELL_KNOWN_FILES", ())
    monkeypatch.setattr(system_roots, "WELL_KNOWN_DIRS", ())
    monkeypatch.setattr(
        ssl,
        "get_default_verify_paths",
        lambda: ssl.DefaultVerifyPaths(
            None, None, "SSL_CERT_FILE", str(tmp_path / "none.pem"), "SSL_CERT_DIR", str(tmp_path)
        ),
    )
    store = TrustStore.load([], system="auto")
    assert store.system_source == "certifi"
    assert any("using certifi" in p for p in store.system_problems)


def test_quirky_system_roots_load_without_warnings_and_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """certifi and Debian ship a root with a negative serial number; cryptography warns on it."""
    bundle = tmp_path / "bundle.pem"
    shutil.copy(certifi.where(), bundle)
    with open(bundle, "ab") as f:
        f.write(b"-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n")  # unreadable
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        store = TrustStore.load([], system="os")
    assert any(c.subject.startswith("(unreadable") for c in store.system)
    assert len(store.system) == bundle.read_bytes().count(b"BEGIN CERTIFICATE")
    assert store.ssl_context().cert_store_stats()["x509"] == len(store.system) - 1  # all OpenSSL could take


def test_hashed_folder_reads_real_files_once_and_keeps_hash_named_regular_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = CA("linked root"), CA("hash-named root")
    (tmp_path / "linked.pem").write_bytes(a.cert_pem)
    (tmp_path / "1a2b3c4d.0").symlink_to("linked.pem")  # what `openssl rehash` makes
    (tmp_path / "5e6f7a8b.0").write_bytes(b.cert_pem)  # Android-style: a regular file with a hash name
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "absent.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    store = TrustStore.load([], system="os")
    assert sorted(c.subject.split(",")[0] for c in store.system) == ["CN=hash-named root", "CN=linked root"]
    assert {Path(c.path).name for c in store.system} == {"linked.pem", "5e6f7a8b.0"}
