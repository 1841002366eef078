"""Every entry fails alone: certificates that make cryptography raise become one verdict each.

Each used to escape as an exception: `TrustStore.load` raised, a fresh process got no trust at
all (not even the system roots), and a running one stopped following its folder.
"""

from __future__ import annotations

import hashlib
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from catrust import TrustStore
from catrust._certs.check import ODD
from catrust._context import TLSOptions, build
from tests.support.certkit import CA, der
from tests.support.hostilecerts import HOSTILE as BUILDERS
from tests.support.hostilecerts import WARNED
from tests.support.tlsserver import handshake, tls_server

HOSTILE = {name: build() for name, build in BUILDERS.items()}
REFUSED = [name for name in HOSTILE if name not in WARNED]
REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", REFUSED)
def test_in_the_ca_folder_it_is_one_rejection_and_the_rest_is_trusted(ca_dir: Path, ca: CA, name: str) -> None:
    (ca_dir / "odd.der").write_bytes(HOSTILE[name])
    (ca_dir / "mixed.pem").write_bytes(pem_of(HOSTILE[name]) + ca.cert_pem)  # one odd block, one good
    (ca_dir / "good.pem").write_bytes(CA("good").cert_pem)
    store = TrustStore.load(str(ca_dir), system="none")
    assert {r.path.rsplit("/", 1)[1] for r in store.rejected} == {"odd.der", "mixed.pem"}, store.rejected
    assert all(
        ("cannot read" in r.reason or "cannot be read" in r.reason or "not a readable certificate" in r.reason)
        for r in store.rejected
    ), store.rejected
    assert len(store.custom) == 2
    with tls_server(ca.issue()) as port:
        handshake(store.ssl_context(), port)


@pytest.mark.parametrize("name", HOSTILE)
def test_among_the_system_roots_it_costs_only_itself(
    tmp_path: Path, ca: CA, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(pem_of(HOSTILE[name]) + ca.cert_pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "none"))
    store = TrustStore.load([], system="os")
    assert der(ca.cert) in {c.der for c in store.system}
    with tls_server(ca.issue()) as port:
        handshake(store.ssl_context(), port)


def test_a_process_with_warnings_as_errors_loads_the_folder(ca_dir: Path, ca: CA) -> None:
    """cryptography warns about some certificates (a serial number of zero); the process never sees it."""
    for number, data in enumerate(HOSTILE.values()):
        (ca_dir / f"odd-{number}.der").write_bytes(data)
    (ca_dir / "good.pem").write_bytes(ca.cert_pem)
    code = "import catrust; s = catrust.default_store(); catrust.ssl_context(); print(len(s.custom), len(s.rejected))"
    env = {**os.environ, "CATRUST_CA_DIRS": str(ca_dir), "PYTHONWARNINGS": "error"}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, env=env, timeout=60, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(1 + len(WARNED)), str(len(REFUSED))]


@pytest.mark.parametrize("name", WARNED)
def test_what_cryptography_only_warns_about_is_trusted_with_that_warning(ca_dir: Path, name: str) -> None:
    (ca_dir / "odd.der").write_bytes(HOSTILE[name])
    (cert,) = TrustStore.load(str(ca_dir), system="none").custom
    assert [w for w in cert.warnings if w.startswith("cryptography:")] == [
        "cryptography: has a serial number of zero or below, which RFC 5280 forbids: a future release of "
        "cryptography will refuse to read it (and catrust with it); re-issue it with a positive serial"
    ]


def pem_of(data: bytes) -> bytes:
    return ssl.DER_cert_to_PEM_cert(data).encode()


@pytest.mark.parametrize("name", REFUSED)
def test_the_hostile_set_is_hostile(name: str) -> None:
    """Guard the guard: each certificate here must really make cryptography raise when read."""
    with pytest.raises(ODD):  # what catrust documents cryptography raising; a new kind should fail here
        cert = x509.load_der_x509_certificate(HOSTILE[name])
        cert.subject.rfc4514_string()
        cert.issuer.rfc4514_string()
        list(cert.extensions)
        cert.public_key()
        assert cert.signature_hash_algorithm


def test_an_empty_block_as_the_only_system_root_leaves_a_verifying_context(
    tmp_path: Path, ca: CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by scripts/fuzz: OpenSSL's loader raised ValueError (not SSLError) on no bytes at all."""
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "none"))
    ctx = TrustStore.load([], system="os").ssl_context()
    with tls_server(ca.issue()) as port, pytest.raises(ssl.SSLCertVerificationError):
        handshake(ctx, port)


NOT_TO_OPENSSL = b"\x30\x03\x02\x01\x00"


@pytest.mark.parametrize("where", ["first", "last", "alone, with no bytes"])
def test_a_certificate_openssl_refuses_costs_only_itself_and_is_named(
    ca: CA, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The bulk load stops at the first block OpenSSL refuses; every other anchor must still be loaded."""
    odd = b"" if where.startswith("alone") else NOT_TO_OPENSSL
    ders = {"first": [odd, der(ca.cert)], "last": [der(ca.cert), odd]}.get(where, [odd])
    ctx = build(ders, TLSOptions(min_version=ssl.TLSVersion.TLSv1_2))
    assert ctx.cert_store_stats()["x509_ca"] == len(ders) - 1
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    prefix = f"OpenSSL refused a certificate (sha256 {hashlib.sha256(odd).hexdigest()}): "
    assert warning.startswith(prefix) and warning[len(prefix) :] not in ("", "None"), warning
    if len(ders) > 1:
        with tls_server(ca.issue()) as port:
            handshake(ctx, port)


@pytest.mark.parametrize(
    "name, kind",
    [
        ("TLS Feature with an unknown value", "KeyError"),
        ("unknown signature algorithm", "UnsupportedAlgorithm"),
    ],
)
def test_what_cryptography_raises_on_is_named_by_its_kind(ca_dir: Path, name: str, kind: str) -> None:
    """A KeyError's message alone ("7") says nothing: the reason carries the exception's kind."""
    (ca_dir / "odd.der").write_bytes(HOSTILE[name])
    (rejection,) = TrustStore.load(str(ca_dir), system="none").rejected
    assert rejection.reason.startswith(f"has content catrust cannot read exactly as OpenSSL does ({kind}: ")
    assert rejection.reason.endswith("), so it is not trusted")
