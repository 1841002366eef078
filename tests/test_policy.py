"""Policy: every verdict with its reason, and proof through handshakes that the verdicts are right."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from catrust import TrustStore
from tests.support.certkit import CA, NOW, der, key_pem, pem, self_signed_leaf
from tests.support.tlsserver import handshake, tls_server


def load(ca_dir: Path) -> TrustStore:
    return TrustStore.load(str(ca_dir), system="none")


def only_rejection(ca_dir: Path, cert_pem: bytes) -> str:
    (ca_dir / "ca.pem").write_bytes(cert_pem)
    store = load(ca_dir)
    assert store.custom == () and len(store.rejected) == 1
    rejection = store.rejected[0]
    assert rejection.block == 1 and rejection.subject and len(rejection.fingerprint or "") == 64
    return rejection.reason


def only_warnings(ca_dir: Path, cert_pem: bytes) -> tuple[str, ...]:
    (ca_dir / "ca.pem").write_bytes(cert_pem)
    store = load(ca_dir)
    assert store.rejected == () and len(store.custom) == 1
    return store.custom[0].warnings


def test_good_ca_has_no_warnings(ca_dir: Path) -> None:
    assert only_warnings(ca_dir, CA().cert_pem) == ()


def test_expired_is_rejected(ca_dir: Path) -> None:
    old = CA(not_before=NOW - timedelta(days=800), not_after=NOW - timedelta(days=400))
    assert only_rejection(ca_dir, old.cert_pem).startswith("expired on ")


def test_not_yet_valid_is_rejected(ca_dir: Path) -> None:
    future = CA(not_before=NOW + timedelta(days=10))
    assert only_rejection(ca_dir, future.cert_pem).startswith("is not valid until ")


def test_short_rsa_key_is_rejected(ca_dir: Path) -> None:
    assert "1024-bit RSA key" in only_rejection(ca_dir, CA(key="rsa", bits=1024).cert_pem)


def test_rsa_2048_is_fine(ca_dir: Path) -> None:
    assert only_warnings(ca_dir, CA(key="rsa", bits=2048).cert_pem) == ()


def test_self_signed_with_a_bad_signature_is_rejected(ca_dir: Path) -> None:
    good = CA()
    forged = CA()  # same name, another key: the signature cannot verify under good's key
    tampered = (
        x509.CertificateBuilder()
        .subject_name(good.cert.subject)
        .issuer_name(good.cert.subject)
        .public_key(good.key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30 * 12))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(forged.key, hashes.SHA256())
    )
    assert "signature does not verify" in only_rejection(ca_dir, pem(tampered))


def test_a_forged_self_signature_is_rejected_even_with_matching_key_identifiers(ca_dir: Path) -> None:
    """Key identifiers that match say "self-signed" to a quick check; only the signature proves it."""
    good, forger = CA("forged root"), CA("forged root")
    public = good.key.public_key()
    tampered = (
        x509.CertificateBuilder()
        .subject_name(good.cert.subject)
        .issuer_name(good.cert.subject)
        .public_key(public)
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(forger.key, hashes.SHA256())
    )
    assert "signature does not verify" in only_rejection(ca_dir, pem(tampered))


def test_leaf_that_is_not_self_signed_is_a_pin_naming_its_issuer(ca_dir: Path, ca: CA) -> None:
    leaf = ca.issue("server.example")
    (warning,) = only_warnings(ca_dir, pem(leaf.cert))
    assert "is not a CA" in warning and "pin for exactly this certificate" in warning
    assert "CN=catrust test root" in warning and "renews" in warning


def test_ca_whose_key_usage_forbids_signing_is_rejected_and_really_fails(ca_dir: Path) -> None:
    crippled = CA(key_usage=False)
    assert only_rejection(ca_dir, crippled.cert_pem) == (
        "is a CA whose keyUsage does not allow signing certificates (no keyCertSign): OpenSSL accepts nothing it issued"
    )
    ctx = TrustStore.load([], system="none").new_context([der(crippled.cert)])  # what trusting it anyway would give
    with tls_server(crippled.issue()) as port, pytest.raises(ssl.SSLCertVerificationError):
        handshake(ctx, port)


def test_expiring_soon_is_a_warning(ca_dir: Path) -> None:
    soon = CA(not_after=NOW + timedelta(days=10))
    (warning,) = only_warnings(ca_dir, soon.cert_pem)
    assert warning.startswith("expires on ") and "in 9 days" in warning


def test_self_signed_server_certificate_is_accepted(ca_dir: Path) -> None:
    assert only_warnings(ca_dir, self_signed_leaf().chain_pem) == ()


def test_intermediate_without_its_root_is_accepted(ca_dir: Path, ca: CA) -> None:
    assert only_warnings(ca_dir, ca.intermediate().cert_pem) == ()


def test_duplicates_count_once(ca_dir: Path, ca: CA) -> None:
    (ca_dir / "a.pem").write_bytes(ca.cert_pem)
    (ca_dir / "b.der").write_bytes(der(ca.cert))
    (ca_dir / "c.pem").write_bytes(ca.cert_pem + ca.cert_pem)
    store = load(ca_dir)
    assert len(store.custom) == 1 and len(store.duplicates) == 3
    assert store.duplicates[0].first.endswith("a.pem #1")
    assert store.pem().count("BEGIN CERTIFICATE") == 1


STRICT_CASES = {
    "basicConstraints is not marked critical": dict(critical_bc=False),
    "has no keyUsage extension": dict(key_usage=None),
    "has no Subject Key Identifier": dict(ski=False),
}


@pytest.mark.parametrize("words", STRICT_CASES)
def test_strict_mode_warnings_predict_what_strict_verification_refuses(ca_dir: Path, words: str) -> None:
    """Each warning names a certificate that works today and fails under VERIFY_X509_STRICT."""
    odd = CA(**STRICT_CASES[words])  # type: ignore[arg-type]
    (warning,) = only_warnings(ca_dir, odd.cert_pem)
    assert words in warning and "VERIFY_X509_STRICT" in warning
    ctx = load(ca_dir).ssl_context()
    strict = load(ca_dir).new_context()  # a context of our own: the shared one refuses changes
    strict.verify_flags |= ssl.VERIFY_X509_STRICT
    with tls_server(odd.issue()) as port:
        handshake(ctx, port)
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(strict, port)


@pytest.mark.parametrize("words", STRICT_CASES)
def test_strict_mode_warnings_name_who_refuses_and_who_does_not(ca_dir: Path, tmp_path: Path, words: str) -> None:
    """The warning's claim as stated: create_default_context() given the bundle file refuses it on
    Python 3.13+ (and accepts it before), while catrust's own context keeps working everywhere."""
    odd = CA(**STRICT_CASES[words])  # type: ignore[arg-type]
    (warning,) = only_warnings(ca_dir, odd.cert_pem)
    assert "ssl.create_default_context() on Python 3.13 or later" in warning
    assert "catrust's own contexts keep working" in warning
    store = load(ca_dir)
    bundle = store.write_bundle(tmp_path / "bundle.pem")
    stdlib = ssl.create_default_context(cafile=bundle)
    with tls_server(odd.issue()) as port:
        handshake(store.ssl_context(), port)
        if sys.version_info >= (3, 13):
            with pytest.raises(ssl.SSLCertVerificationError):
                handshake(stdlib, port)
        else:
            handshake(stdlib, port)


def test_a_certificate_without_warnings_passes_strict_verification(ca_dir: Path, ca: CA) -> None:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    strict = load(ca_dir).new_context()
    strict.verify_flags |= ssl.VERIFY_X509_STRICT
    with tls_server(ca.issue()) as port:
        handshake(strict, port)


def _self_signed(key_usage: bool, bc: bool) -> tuple[bytes, CA]:
    """A self-signed certificate with or without basicConstraints/keyCertSign, and its key holder."""
    holder = CA("holder")
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "prometheus.monitoring.svc")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(holder.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=300))
    )
    if bc:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    if key_usage:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    cert = builder.sign(holder.key, hashes.SHA256())
    holder.cert, holder.name = cert, name  # what it issues now chains to this certificate
    return pem(cert), holder


def test_a_self_signed_certificate_that_openssl_would_treat_as_a_ca_is_rejected(ca_dir: Path) -> None:
    """No basicConstraints but keyCertSign: OpenSSL lets it vouch for any host name."""
    cert_pem, holder = _self_signed(key_usage=True, bc=False)
    assert "treats it as a CA" in only_rejection(ca_dir, cert_pem)
    anyone = TrustStore.load([], system="none").new_context(
        [x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)]
    )
    with tls_server(holder.issue("vault.internal")) as port:
        handshake(anyone, port, "vault.internal")  # the danger, had it been trusted


def test_a_self_signed_server_certificate_that_says_ca_false_is_accepted(ca_dir: Path) -> None:
    cert_pem, holder = _self_signed(key_usage=True, bc=True)
    assert only_warnings(ca_dir, cert_pem) == ()
    with tls_server(holder.issue("vault.internal")) as port, pytest.raises(ssl.SSLCertVerificationError):
        handshake(load(ca_dir).ssl_context(), port, "vault.internal")  # it cannot issue


def test_a_legacy_v1_root_is_a_ca_with_a_warning(ca_dir: Path, tmp_path: Path) -> None:
    """cryptography cannot make a v1 certificate; OpenSSL's command line makes one without extensions."""
    openssl = shutil.which("openssl")
    if not openssl:
        from tests.support.servers import missing

        missing("openssl", "install the openssl package")
    holder = CA()
    key = tmp_path / "key.pem"
    key.write_bytes(key_pem(holder.key))
    run = dict(check=True, capture_output=True, cwd=tmp_path)
    subprocess.run([openssl, "req", "-new", "-key", str(key), "-subj", "/CN=legacy v1 root", "-out", "r.csr"], **run)
    subprocess.run(
        [openssl, "x509", "-req", "-in", "r.csr", "-signkey", str(key), "-days", "365", "-out", "v1.pem"], **run
    )
    v1 = (tmp_path / "v1.pem").read_bytes()
    holder.cert = x509.load_pem_x509_certificate(v1)
    holder.name = holder.cert.subject
    assert holder.cert.version == x509.Version.v1
    warnings = only_warnings(ca_dir, v1)
    assert any("X.509 v1" in w for w in warnings)
    strict = load(ca_dir).new_context()
    strict.verify_flags |= ssl.VERIFY_X509_STRICT
    with tls_server(holder.issue()) as port:
        handshake(load(ca_dir).ssl_context(), port)
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(strict, port)


@pytest.mark.parametrize(
    "bits, accepted, issues_tls", [(0x40, True, False), (0xC0, True, False), (0x04, False, True), (0x01, False, False)]
)
def test_a_netscape_certificate_type_counts_as_a_ca_only_with_its_ca_bits(
    ca_dir: Path, bits: int, accepted: bool, issues_tls: bool
) -> None:
    """OpenSSL counts nsCertType as CA only for sslCA, emailCA and objCA (NS_ANY_CA); for TLS chains,
    only sslCA lets it issue. Rejecting emailCA/objCA too is the conservative side of the same rule."""
    holder = CA("holder")
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "legacy.appliance")])
    ns_type = x509.UnrecognizedExtension(x509.ObjectIdentifier("2.16.840.1.113730.1.1"), bytes([3, 2, 0, bits]))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(holder.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=300))
        .add_extension(ns_type, critical=False)
        .sign(holder.key, hashes.SHA256())
    )
    holder.cert, holder.name = cert, name
    trusting = TrustStore.load([], system="none").new_context([der(cert)])  # what trusting it anyway would give
    with tls_server(holder.issue("vault.internal")) as port:
        if accepted:
            assert only_warnings(ca_dir, pem(cert)) == ()
        else:
            assert "treats it as a CA" in only_rejection(ca_dir, pem(cert))
        if issues_tls:
            handshake(trusting, port, "vault.internal")  # the danger the rejection avoids
        else:
            with pytest.raises(ssl.SSLCertVerificationError):
                handshake(trusting, port, "vault.internal")  # OpenSSL does not let it issue for TLS


def test_a_certificate_is_valid_from_its_first_second() -> None:
    """OpenSSL: not yet valid while now < notBefore; from notBefore on, it is."""
    from catrust._trust.policy import judge

    cert = CA("starts later", not_before=NOW + timedelta(days=1)).cert
    start = cert.not_valid_before_utc
    assert judge(cert, start - timedelta(microseconds=1)).rejected == f"is not valid until {start:%Y-%m-%d}"
    assert judge(cert, start).rejected is None
