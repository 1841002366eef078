"""Subjects and file names come from the files judged: they can neither forge output nor break it."""

from __future__ import annotations

import logging
import re
import ssl
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

import catrust
from catrust import TrustStore
from tests.support.certkit import CA, NOW, pem
from tests.support.tlsserver import handshake, tls_server

REPO = Path(__file__).resolve().parent.parent


def ca_named(*attributes: x509.NameAttribute) -> tuple[bytes, CA]:
    """A valid CA whose subject is whatever the attacker likes."""
    signer = CA("carrier")
    name = x509.Name(list(attributes))
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signer.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer.key.public_key()), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(signer.key, hashes.SHA256())
    )
    return pem(cert), signer


def blocks(text: str) -> int:
    return len(re.findall(r"^-----BEGIN CERTIFICATE-----$", text, re.M))


def test_a_subject_cannot_smuggle_a_certificate_into_the_bundle(ca_dir: Path, tmp_path: Path) -> None:
    smuggled = CA("smuggled, never judged")
    payload = "x\n" + smuggled.cert_pem.decode() + "# "
    cert_pem, _ = ca_named(
        x509.NameAttribute(NameOID.COMMON_NAME, "innocent"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, payload),
    )
    (ca_dir / "ca.pem").write_bytes(cert_pem)
    store = TrustStore.load(str(ca_dir), system="none")
    assert len(store.certificates) == 1 and blocks(store.pem()) == 1
    assert "\n" not in store.custom[0].subject
    bundle = store.write_bundle(tmp_path / "bundle.pem")
    with tls_server(smuggled.issue()) as port:
        for ctx in (ssl.create_default_context(cafile=bundle), ssl.create_default_context(cadata=store.pem())):
            with pytest.raises(ssl.SSLCertVerificationError):
                handshake(ctx, port)


def test_terminal_codes_and_newlines_in_names_are_escaped_in_cli_output(ca_dir: Path) -> None:
    cert_pem, _ = ca_named(x509.NameAttribute(NameOID.COMMON_NAME, "evil\x1b[2J\rroot"))
    (ca_dir / "ca\nrejected: fake.pem").write_bytes(cert_pem)
    (ca_dir / "junk\x1b[31m.pem").write_bytes(b"junk")
    for command in (["list"], ["check"], ["bundle"]):
        result = subprocess.run(
            [sys.executable, "-m", "catrust", "--ca-dir", str(ca_dir), "--system", "none", *command],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=60,
        )
        output = result.stdout + result.stderr
        assert "\x1b" not in output and "\r" not in output
        assert not any(line.startswith("rejected: fake.pem") for line in output.splitlines())


def test_non_ascii_names_work_everywhere(ca_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert_pem, _signer = ca_named(
        x509.NameAttribute(NameOID.COMMON_NAME, "Racine ÉÜ"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Société Générale"),
    )
    (ca_dir / "zertifikat-ü.pem").write_bytes(cert_pem)
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    store = catrust.default_store()
    assert store.custom[0].subject == "O=Société Générale,CN=Racine ÉÜ"
    path = Path(catrust.ca_bundle_path())
    assert blocks(path.read_text("ascii")) == len(store.certificates)
    (ca_dir / "more.pem").write_bytes(CA("after").cert_pem)
    assert catrust.reload()
    assert len(catrust.default_store().custom) == 2
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "catrust",
            "--ca-dir",
            str(ca_dir),
            "--system",
            "none",
            "write",
            str(tmp_path / "out.pem"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_a_catrust_bundle_is_never_read_back_as_system_roots(
    ca_dir: Path, ca: CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`catrust env` sets SSL_CERT_FILE to the merged bundle: a CA removed later must not live on in it.
    That is what a child of `catrust env` or inject(environ=True) gets, so it is said at INFO, not WARNING."""
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    bundle = TrustStore.load(str(ca_dir), system="certifi").write_bundle(tmp_path / "merged.pem")
    (ca_dir / "ca.pem").unlink()
    monkeypatch.setenv("SSL_CERT_FILE", bundle)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with caplog.at_level(logging.INFO, logger="catrust"):
        store = TrustStore.load(str(ca_dir), system="auto")
    assert ca.cert_pem.decode() not in store.pem()
    assert [r.levelname for r in caplog.records if "is a catrust bundle" in r.getMessage()] == ["INFO"]
    assert not store.system_problems
    assert store.system  # the operating system's (or certifi's) roots, not nothing
    with tls_server(ca.issue()) as port, pytest.raises(ssl.SSLCertVerificationError):
        handshake(store.ssl_context(), port)


def test_a_catrust_bundle_at_the_os_bundle_path_is_skipped_too(
    ca_dir: Path, ca: CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An init container writing catrust's bundle over /etc/ssl/certs/ca-certificates.crt, say."""
    import ssl as ssl_module

    from catrust._trust import system as system_roots

    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    marked = TrustStore.load(str(ca_dir), system="certifi").write_bundle(tmp_path / "ca-certificates.crt")
    (ca_dir / "ca.pem").unlink()
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setattr(system_roots, "WELL_KNOWN_FILES", (marked,))
    monkeypatch.setattr(system_roots, "WELL_KNOWN_DIRS", ())
    monkeypatch.setattr(
        ssl_module,
        "get_default_verify_paths",
        lambda: ssl_module.DefaultVerifyPaths(
            marked, None, "SSL_CERT_FILE", marked, "SSL_CERT_DIR", str(tmp_path / "none")
        ),
    )
    store = TrustStore.load(str(ca_dir), system="auto")
    assert ca.cert_pem.decode() not in store.pem()
    assert any("is a catrust bundle" in p for p in store.system_problems)


def test_a_catrust_bundle_in_ssl_cert_dir_is_skipped_with_a_warning(
    ca_dir: Path, ca: CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    certs = tmp_path / "certs"
    certs.mkdir()
    TrustStore.load(str(ca_dir), system="none").write_bundle(certs / "from-catrust.pem")
    (certs / "root.pem").write_bytes(CA("a real root").cert_pem)
    (ca_dir / "ca.pem").unlink()
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "absent.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(certs))
    store = TrustStore.load(str(ca_dir), system="os")
    assert [c.subject.split(",")[0] for c in store.system] == ["CN=a real root"]
    assert any("from-catrust.pem is a catrust bundle" in p for p in store.system_problems)
