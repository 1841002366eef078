"""Shared contexts are frozen: no SDK or caller can change, let alone switch off, what others rely on."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

import catrust
from catrust import CatrustError, TrustStore, clients
from tests.support.certkit import CA
from tests.support.servers import sdk
from tests.support.tlsserver import handshake, tls_server


@pytest.fixture
def shared(ca_dir: Path, ca: CA) -> ssl.SSLContext:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    return TrustStore.load(str(ca_dir), system="none").ssl_context(alpn=("http/1.1",))


@pytest.mark.parametrize(
    "name, value",
    [
        ("verify_mode", ssl.CERT_NONE),
        ("check_hostname", False),
        ("verify_flags", ssl.VerifyFlags(0)),
        ("minimum_version", ssl.TLSVersion.TLSv1),
        ("options", 0),
        ("sni_callback", lambda *a: None),
        ("hostname_checks_common_name", False),
    ],
)
def test_settings_are_refused(shared: ssl.SSLContext, name: str, value: object) -> None:
    before = getattr(shared, name)
    with pytest.raises(CatrustError, match=f"refused to change {name}"):
        setattr(shared, name, value)
    assert getattr(shared, name) == before


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.load_verify_locations(cadata=CA("sneaky").cert_pem.decode()),
        lambda c: c.load_cert_chain("/nonexistent"),
        lambda c: c.load_default_certs(),
        lambda c: c.set_default_verify_paths(),
        lambda c: c.set_ciphers("ALL"),
        lambda c: c.set_alpn_protocols(["h2"]),
    ],
)
def test_loads_are_refused(shared: ssl.SSLContext, call: object) -> None:
    stats = shared.cert_store_stats()
    with pytest.raises(CatrustError, match="refused to"):
        call(shared)  # type: ignore[operator]
    assert shared.cert_store_stats() == stats


def test_the_freeze_cannot_be_lifted(shared: ssl.SSLContext) -> None:
    for attempt in (lambda: setattr(shared, "catrust_frozen", False), lambda: delattr(shared, "catrust_frozen")):
        with pytest.raises(CatrustError, match="refused to change catrust_frozen"):
            attempt()
    with pytest.raises(CatrustError):
        shared.verify_mode = ssl.CERT_NONE


def test_what_sdks_set_on_every_connection_is_allowed(shared: ssl.SSLContext) -> None:
    shared.verify_mode = ssl.CERT_REQUIRED
    shared.check_hostname = True
    shared.set_alpn_protocols(["http/1.1"])
    assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname


def test_a_context_of_your_own_is_not_frozen(ca_dir: Path) -> None:
    own = TrustStore.load(str(ca_dir), system="none").new_context()
    own.verify_flags |= ssl.VERIFY_X509_STRICT
    own.set_alpn_protocols(["h2"])


def test_urllib3_options_cannot_switch_verification_off_for_other_clients(
    ca_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """urllib3 writes cert_reqs/assert_hostname onto the context it is given, per connection."""
    sdk("urllib3")
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    attacker = CA("attacker").issue()
    with tls_server(attacker) as port:
        url = f"https://localhost:{port}/"
        weakened = clients.urllib3_pool_manager(cert_reqs="CERT_NONE", assert_hostname=False, retries=False)
        with pytest.raises(Exception) as failure:
            weakened.request("GET", url)
        assert "refused to change" in repr(failure.value) or isinstance(failure.value, CatrustError)
        with catrust.httpx_client() as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(url)
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(catrust.ssl_context(), port)


def test_per_trigger_contexts_are_frozen_too(ca_dir: Path, ca: CA) -> None:
    store = TrustStore.load(str(ca_dir), system="none")
    ctx = catrust.tls_context(ca=ca.cert_pem, store=store)
    with pytest.raises(CatrustError, match="refused to change"):
        ctx.check_hostname = False
