"""Trust decisions proven through real TLS handshakes against servers on 127.0.0.1."""

from __future__ import annotations

import ssl
from datetime import timedelta
from pathlib import Path

import pytest

from catrust import ConfigError, TrustStore
from tests.support.certkit import CA, NOW, Leaf, der, pem, self_signed_leaf
from tests.support.tlsserver import (
    NO_COMMON_VERSION,
    handshake,
    refused_before_verification,
    server_context,
    tls_server,
)


def context_for(ca_dir: Path, system: str = "none") -> ssl.SSLContext:
    return TrustStore.load(str(ca_dir), system=system).ssl_context()


def assert_trusted(ca_dir: Path, leaf: Leaf, hostname: str = "localhost") -> None:
    with tls_server(leaf) as port:
        handshake(context_for(ca_dir), port, hostname)


def assert_refused(ca_dir: Path, leaf: Leaf, hostname: str = "localhost", words: str = "verify failed") -> None:
    with tls_server(leaf) as port, pytest.raises(ssl.SSLCertVerificationError, match=words):
        handshake(context_for(ca_dir), port, hostname)


def test_context_is_verifying() -> None:
    ctx = TrustStore.load([], system="none").ssl_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    assert ctx.verify_flags & ssl.VERIFY_X509_PARTIAL_CHAIN


def test_without_the_custom_ca_the_server_is_refused(ca_dir: Path, ca: CA) -> None:
    leaf = ca.issue()
    assert_refused(ca_dir, leaf, words="unable to get local issuer")
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    assert_trusted(ca_dir, leaf)


@pytest.mark.parametrize("key", ["rsa", "ec"])
def test_custom_root(ca_dir: Path, key: str) -> None:
    root = CA(f"{key} root", key=key)
    (ca_dir / "root.pem").write_bytes(root.cert_pem)
    assert_trusted(ca_dir, root.issue())


def test_der_root(ca_dir: Path) -> None:
    root = CA("der root")
    (ca_dir / "root.der").write_bytes(der(root.cert))
    assert_trusted(ca_dir, root.issue())


def test_self_signed_server_certificate(ca_dir: Path) -> None:
    leaf = self_signed_leaf("localhost", "127.0.0.1")
    assert_refused(ca_dir, leaf)
    (ca_dir / "server.pem").write_bytes(pem(leaf.cert))
    assert_trusted(ca_dir, leaf)


def test_intermediate_alone_anchors_its_chain(ca_dir: Path, ca: CA) -> None:
    issuing = ca.intermediate("issuing CA")
    leaf = issuing.issue()
    leaf.chain = [leaf.cert]  # the server sends only its leaf, and the root is nowhere
    (ca_dir / "issuing.pem").write_bytes(issuing.cert_pem)
    assert_trusted(ca_dir, leaf)


def test_wrong_hostname_is_refused(ca_dir: Path, ca: CA) -> None:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    assert_refused(ca_dir, ca.issue("other.example"), hostname="localhost", words="Hostname mismatch")


def test_expired_leaf_is_refused(ca_dir: Path, ca: CA) -> None:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    old = ca.issue(not_before=NOW - timedelta(days=60), not_after=NOW - timedelta(days=1))
    assert_refused(ca_dir, old, words="expired")


def test_a_leaf_in_the_folder_pins_exactly_that_certificate(ca_dir: Path) -> None:
    """Partial chains make any stored certificate an anchor: a leaf verifies itself, as in Go's pool (KEDA)."""
    issuer = CA("unknown")
    leaf = issuer.issue()
    (ca_dir / "leaf.pem").write_bytes(pem(leaf.cert))
    store = TrustStore.load(str(ca_dir), system="none")
    assert not store.rejected and "pin for exactly this certificate" in store.custom[0].warnings[0]
    assert_trusted(ca_dir, leaf)
    assert_refused(ca_dir, issuer.issue())  # the server renewed: same CA, same names, another certificate


def test_custom_cas_add_to_the_system_roots(ca_dir: Path, ca: CA) -> None:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    store = TrustStore.load(str(ca_dir), system="certifi")
    ctx = store.ssl_context()
    assert ctx.cert_store_stats()["x509_ca"] == len(store.certificates) == len(store.system) + 1
    with tls_server(ca.issue()) as port:
        handshake(ctx, port)


def test_minimum_tls_version_from_the_environment(ca_dir: Path, ca: CA, monkeypatch: pytest.MonkeyPatch) -> None:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    leaf = ca.issue()
    tls12_only = server_context(leaf)
    tls12_only.maximum_version = ssl.TLSVersion.TLSv1_2
    monkeypatch.setenv("CATRUST_MIN_TLS_VERSION", "TLS13")
    ctx = context_for(ca_dir)
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_3
    with tls_server(leaf, tls12_only) as port:
        with refused_before_verification(NO_COMMON_VERSION):
            handshake(ctx, port)
        monkeypatch.setenv("CATRUST_MIN_TLS_VERSION", "TLS12")
        handshake(context_for(ca_dir), port)


def test_invalid_minimum_tls_version_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATRUST_MIN_TLS_VERSION", "TLS1.2")
    with pytest.raises(ConfigError, match="CATRUST_MIN_TLS_VERSION"):
        TrustStore.load([], system="none")
