"""Shared contexts are frozen: no SDK or caller can change, let alone switch off, what others rely on."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

import catrust
from catrust import CatrustError, FrozenContextError, TrustStore, clients
from tests.support.certkit import CA
from tests.support.servers import sdk
from tests.support.tlsserver import handshake, tls_server


@pytest.fixture
def shared(ca_dir: Path, ca: CA) -> ssl.SSLContext:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    return TrustStore.load(str(ca_dir), system="none").ssl_context(alpn=("http/1.1",))


class _Socket(ssl.SSLSocket):
    pass


class _Object(ssl.SSLObject):
    pass


# Every setting an SDK could change on a shared context, with a value other than the one it has. Written out
# here, not read from the implementation, so that dropping one from the guard fails this test.
SETTINGS = {
    "check_hostname": lambda now: False,
    "verify_mode": lambda now: ssl.CERT_NONE,
    "verify_flags": lambda now: ssl.VerifyFlags(0),
    "options": lambda now: 0,
    "minimum_version": lambda now: ssl.TLSVersion.TLSv1_3,
    "maximum_version": lambda now: ssl.TLSVersion.TLSv1_2,
    "sni_callback": lambda now: lambda *a: None,
    "keylog_filename": lambda now: "/tmp/catrust-keylog-must-not-exist",
    "post_handshake_auth": lambda now: not now,
    "hostname_checks_common_name": lambda now: not now,
    "num_tickets": lambda now: now + 1,
    "sslsocket_class": lambda now: _Socket,
    "sslobject_class": lambda now: _Object,
    "catrust_server_name": lambda now: "attacker.example",
    "catrust_alpn": lambda now: ("h2",),
    "catrust_frozen": lambda now: False,
    "_host_flags": lambda now: now ^ 1,
    "_msg_callback": lambda now: lambda *a: None,
}
# Every method that loads or configures, called as an SDK would.
METHODS = {
    "load_verify_locations": lambda c: c.load_verify_locations(cadata=CA("sneaky").cert_pem.decode()),
    "load_cert_chain": lambda c: c.load_cert_chain("/nonexistent"),
    "load_default_certs": lambda c: c.load_default_certs(),
    "set_default_verify_paths": lambda c: c.set_default_verify_paths(),
    "set_ciphers": lambda c: c.set_ciphers("ALL"),
    "set_ecdh_curve": lambda c: c.set_ecdh_curve("prime256v1"),
    "load_dh_params": lambda c: c.load_dh_params("/nonexistent"),
    "set_servername_callback": lambda c: c.set_servername_callback(lambda *a: None),
    "set_npn_protocols": lambda c: c.set_npn_protocols(["h2"]),
    "set_alpn_protocols": lambda c: c.set_alpn_protocols(["h2"]),
    "_set_alpn_protocols": lambda c: c._set_alpn_protocols(["h2"]),
    "set_psk_client_callback": lambda c: c.set_psk_client_callback(lambda hint: (None, b"k")),
    "set_psk_server_callback": lambda c: c.set_psk_server_callback(lambda identity: b"k"),
}


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_settings_are_refused(shared: ssl.SSLContext, name: str) -> None:
    before = getattr(shared, name, None)  # catrust_server_name is set only on a context that pins one
    with pytest.raises(FrozenContextError, match=f"refused to change {name}"):
        setattr(shared, name, SETTINGS[name](before))
    with pytest.raises(FrozenContextError, match=f"refused to change {name}"):
        delattr(shared, name)
    assert getattr(shared, name, None) == before


def test_the_pinned_server_name_cannot_be_changed(ca: CA) -> None:
    pinned = catrust.tls_context(server_name="redis.internal", store=TrustStore.load([], system="none"))
    with pytest.raises(FrozenContextError, match="refused to change catrust_server_name"):
        pinned.catrust_server_name = "attacker.example"  # type: ignore[attr-defined]
    assert pinned.catrust_server_name == "redis.internal"  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(METHODS))
def test_loads_are_refused(shared: ssl.SSLContext, name: str) -> None:
    stats, ciphers = shared.cert_store_stats(), shared.get_ciphers()
    with pytest.raises(FrozenContextError, match="refused to"):
        METHODS[name](shared)
    assert shared.cert_store_stats() == stats and shared.get_ciphers() == ciphers


def test_a_refusal_says_what_was_refused_and_what_to_do_instead(shared: ssl.SSLContext) -> None:
    advice = (
        "on a context catrust shares: the change would reach every client using it. Ask catrust.tls_context(...) "
        "for a context of your own (client certificate, extra CA, server name, TLS version, or unsafe_ssl=True by name)"
    )
    with pytest.raises(FrozenContextError) as setting:
        shared.check_hostname = False
    assert str(setting.value) == f"refused to change check_hostname {advice}"
    with pytest.raises(FrozenContextError) as method:
        shared.load_cert_chain("client.pem", keyfile="client.key")
    assert str(method.value) == f"refused to change load_cert_chain() {advice}"
    with pytest.raises(FrozenContextError) as alpn:
        shared.set_alpn_protocols(["h2"])
    assert str(alpn.value) == (
        "refused to set the ALPN protocols to ['h2'] on a context catrust shares, built with ['http/1.1']: "
        "ask for one built with them, as ssl_context(alpn=...) or tls_context(..., alpn=...); "
        "for httpx use catrust.httpx_client()"
    )


def test_only_the_guarded_settings_are_locked(shared: ssl.SSLContext, ca_dir: Path) -> None:
    shared.caller_note = "kept by the caller"  # type: ignore[attr-defined]
    del shared.caller_note  # type: ignore[attr-defined]
    own = TrustStore.load(str(ca_dir), system="none").new_context()
    own.set_alpn_protocols(["h2"])
    del own.catrust_alpn  # type: ignore[attr-defined]
    assert own.catrust_alpn == ()  # type: ignore[attr-defined]
    assert not hasattr(shared, "caller_note")


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
    own.load_verify_locations(cadata=CA("mine alone").cert_pem.decode())
    assert own.verify_flags & ssl.VERIFY_X509_STRICT and own.cert_store_stats()["x509_ca"] == 1


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
        with pytest.raises(FrozenContextError, match="refused to change verify_mode"):
            weakened.request("GET", url)
        with catrust.httpx_client() as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            client.get(url)
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(catrust.ssl_context(), port)


def test_per_trigger_contexts_are_frozen_too(ca_dir: Path, ca: CA) -> None:
    store = TrustStore.load(str(ca_dir), system="none")
    ctx = catrust.tls_context(ca=ca.cert_pem, store=store)
    with pytest.raises(CatrustError, match="refused to change"):
        ctx.check_hostname = False
