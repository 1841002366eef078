"""Settings cannot weaken TLS: no cipher string enables anonymous suites, no version is accepted and
then refused by every handshake; KEDA's variables follow KEDA's rules, catrust's own stay strict.

The claims are proven by handshakes on 127.0.0.1, against a server that offers only anonymous
suites (no certificate at all) and one that speaks only TLS 1.0.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from catrust import ConfigError, MutualTLS, TrustStore, ensure_cert_dir, tls_context
from catrust import _options as settings
from tests.support.certdirkit import FAST, NAMES
from tests.support.certkit import CA
from tests.support.mtlsserver import connect, mtls_server
from tests.support.tlsserver import NO_COMMON_CIPHER, handshake, refused_before_verification, serving, tls_server


@pytest.fixture
def anonymous_server() -> Iterator[int]:
    """A TLS 1.2 server with no certificate: only an anonymous suite can complete its handshake."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("aNULL:@SECLEVEL=0")
    with serving(ctx, lambda tls: tls.sendall(b"anonymous")) as port:
        yield port


def talk(ctx: ssl.SSLContext, port: int) -> None:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.recv(16)


def test_the_anonymous_server_really_serves_an_anonymous_client(anonymous_server: int) -> None:
    """Guard the guard: with OpenSSL's level lowered, a client does complete this handshake."""
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
    client.set_ciphers("aNULL:@SECLEVEL=0")
    talk(client, anonymous_server)


@pytest.mark.parametrize("value", ["ALL:@SECLEVEL=0", "aNULL:@seclevel=0", "ADH:@SECLEVEL=0:eNULL"])
def test_a_cipher_string_that_lowers_the_security_level_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CATRUST_TLS_CIPHERS", value)
    with pytest.raises(ConfigError, match=r"never lowers OpenSSL's security level"):
        TrustStore.load([], system="none")


@pytest.mark.parametrize("value", ["ALL", "aNULL:ALL", "ALL:COMPLEMENTOFALL", "ECDHE+AESGCM:ADH"])
def test_no_cipher_string_lets_a_server_without_a_certificate_through(
    monkeypatch: pytest.MonkeyPatch, anonymous_server: int, value: str
) -> None:
    monkeypatch.setenv("CATRUST_TLS_CIPHERS", value)
    ctx = TrustStore.load([], system="none").ssl_context()
    assert not [c for c in ctx.get_ciphers() if c.get("auth") == "auth-null" or c.get("symmetric") == "cipher-null"]
    with refused_before_verification(NO_COMMON_CIPHER):
        talk(ctx, anonymous_server)


@pytest.mark.parametrize("name", ["CATRUST_MIN_TLS_VERSION", "CATRUST_SERVICE_MIN_TLS_VERSION"])
@pytest.mark.parametrize("value", ["TLS10", "tls11"])
def test_catrusts_own_variables_refuse_tls_1_0_and_1_1_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    ensure_cert_dir(tmp_path, NAMES, options=FAST)
    with pytest.raises(ConfigError, match=r"TLS 1.0 and 1.1 cannot be negotiated.*use TLS12 or TLS13"):
        TrustStore.load([], system="none") if "SERVICE" not in name else MutualTLS(tmp_path)


@pytest.mark.parametrize("value", ["TLS10", ssl.TLSVersion.TLSv1_1])
def test_tls_context_refuses_tls_1_0_and_1_1(ca: CA, value: str | ssl.TLSVersion) -> None:
    with pytest.raises(ConfigError, match=r"cannot be negotiated"):
        tls_context(min_version=value, store=TrustStore.load([], system="none"))


def test_kedas_tls10_becomes_tls12_with_a_warning_naming_the_risk(
    ca_dir: Path, ca: CA, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """KEDA would allow TLS 1.0; OpenSSL refuses it here, so the minimum stays where handshakes work."""
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    monkeypatch.setenv("KEDA_HTTP_MIN_TLS_VERSION", "TLS10")
    caplog.set_level(logging.WARNING, logger="catrust")
    ctx = TrustStore.load(str(ca_dir), system="none").ssl_context()
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    assert "KEDA_HTTP_MIN_TLS_VERSION=TLS10" in caplog.text and "security level" in caplog.text
    with tls_server(ca.issue()) as port:
        handshake(ctx, port)


def test_kedas_cipher_list_takes_both_separators_and_drops_unknown_names(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(
        "KEDA_HTTP_TLS_CIPHER_LIST",
        " TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 :"
        "TLS_RSA_WITH_RC4_128_SHA, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,NOPE",
    )
    caplog.set_level(logging.WARNING, logger="catrust")
    ctx = TrustStore.load([], system="none").ssl_context()
    tls12 = {c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12 == {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"}
    (line,) = [r.getMessage() for r in caplog.records if "KEDA_HTTP_TLS_CIPHER_LIST" in r.getMessage()]
    assert "TLS_RSA_WITH_RC4_128_SHA, NOPE" in line


def test_kedas_cipher_list_of_only_unknown_names_keeps_openssls_defaults(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("KEDA_HTTP_TLS_CIPHER_LIST", "TLS_RSA_WITH_RC4_128_SHA")
    assert settings.tls_ciphers() is None
    assert "TLS_RSA_WITH_RC4_128_SHA" in caplog.text


@pytest.mark.parametrize(
    "name, value",
    [
        ("KEDA_SERVICE_TLS_CIPHER_LIST", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
        ("CATRUST_SERVICE_TLS_CIPHERS", "ECDHE-ECDSA-AES128-GCM-SHA256"),
    ],
)
def test_component_mutual_tls_takes_its_own_cipher_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    ensure_cert_dir(tmp_path, NAMES, options=FAST)
    monkeypatch.setenv("CATRUST_SERVICE_MIN_TLS_VERSION", "TLS12")
    monkeypatch.setenv(name, value)
    mtls = MutualTLS(tmp_path)
    for ctx in (mtls.server_context(), mtls.client_context()):
        assert {c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"} == {"ECDHE-ECDSA-AES128-GCM-SHA256"}
    with mtls_server(mtls.server_context()) as port:
        connect(mtls.client_context(), port)  # both ends restricted alike still meet


def test_a_catrust_context_keeps_every_verification_flag_and_option_openssl_sets_by_default(ca: CA) -> None:
    """catrust adds (partial chains), never removes: dropping X509_TRUSTED_FIRST would let a server's
    cross-signed chain lead verification to an expired root instead of the trusted one."""
    stock = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    for ctx in (TrustStore.load([], system="none").ssl_context(), tls_context(ca=ca.cert_pem, server_name="x")):
        assert ctx.verify_flags & stock.verify_flags == stock.verify_flags
        assert ctx.verify_flags & ssl.VERIFY_X509_PARTIAL_CHAIN
        assert ctx.options & stock.options == stock.options


def test_a_platform_store_context_is_truststores_and_as_frozen_as_the_others() -> None:
    """macOS and Windows verify through the OS store with truststore, whose chain builder needs no partial
    chains; built here on Linux, where truststore runs too, so the choice of class is tested everywhere."""
    import truststore

    from catrust import FrozenContextError
    from catrust._context import TLSOptions, build, freeze

    ctx = build([], TLSOptions(min_version=ssl.TLSVersion.TLSv1_2, platform_store=True))
    assert isinstance(ctx, truststore.SSLContext) and not ctx.verify_flags & ssl.VERIFY_X509_PARTIAL_CHAIN
    freeze(ctx)
    with pytest.raises(FrozenContextError):
        ctx.check_hostname = False
