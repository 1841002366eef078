"""Per-trigger TLS: extra CA, client certificate, pinned name, unsafe_ssl by name only, never leaking."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import ssl
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

import catrust
from catrust import CatrustError, ConfigError, KeyMaterialError, TrustStore, parse_bool, tls_context
from tests.support.certkit import CA, NOW, Key, Leaf, der, key_pem, new_key, pem
from tests.support.hostilecerts import pem_block
from tests.support.tlsserver import (
    NO_COMMON_VERSION,
    handshake,
    refused_before_verification,
    server_context,
    tls_server,
)


@pytest.fixture
def store(ca_dir: Path, ca: CA) -> TrustStore:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    return TrustStore.load(str(ca_dir), system="none")


def mtls_server_context(leaf: Leaf, client_ca: CA) -> ssl.SSLContext:
    ctx = server_context(leaf)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=client_ca.cert_pem.decode())
    return ctx


def test_extra_ca_is_trusted_by_that_context_only(store: TrustStore, ca: CA) -> None:
    other = CA("trigger CA")
    with tls_server(other.issue()) as port:
        handshake(tls_context(ca=other.cert_pem, store=store), port)
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(store.ssl_context(), port)
    with tls_server(ca.issue()) as port:  # the shared trust is still there too
        handshake(tls_context(ca=other.cert_pem, store=store), port)


def test_extra_ca_from_a_path_and_cached_by_inputs(store: TrustStore, tmp_path: Path) -> None:
    other = CA("trigger CA")
    path = tmp_path / "trigger-ca.pem"
    path.write_bytes(other.cert_pem)
    first = tls_context(ca=str(path), store=store)
    assert tls_context(ca=str(path), store=store) is first
    assert tls_context(ca=other.cert_pem.decode(), store=store) is first  # same content, same context
    assert tls_context(ca=str(path), server_name="x", store=store) is not first
    assert first is not store.ssl_context()


def test_a_trigger_ca_is_taken_whole_or_refused_with_every_reason(store: TrustStore, ca: CA) -> None:
    expired = CA("expired trigger CA", not_before=NOW - timedelta(days=90), not_after=NOW - timedelta(days=1))
    day, sha256 = f"{expired.cert.not_valid_after_utc:%Y-%m-%d}", hashlib.sha256(der(expired.cert)).hexdigest()
    why = f"expired on {day} [CN=expired trigger CA,O=catrust tests, sha256 {sha256}]"
    for data, reasons in (
        (expired.cert_pem + ca.cert_pem, [f"ca #1: {why}"]),  # one good certificate does not carry a bad one
        (expired.cert_pem + ca.cert_pem + expired.cert_pem, [f"ca #1: {why}", f"ca #3: {why}"]),
        (b"  \n", ["ca: is empty"]),
    ):
        with pytest.raises(KeyMaterialError) as refused:
            tls_context(ca=data, store=store)
        assert str(refused.value) == "the trigger's CA was refused: " + "; ".join(reasons)


def test_refused_extra_ca_is_a_clear_error(store: TrustStore, ca: CA) -> None:
    expired = CA("expired trigger CA", not_before=NOW - timedelta(days=90), not_after=NOW - timedelta(days=1))
    with pytest.raises(CatrustError, match=r"trigger's CA was refused.*expired on"):
        tls_context(ca=expired.cert_pem, store=store)
    assert tls_context(ca=pem(ca.issue().cert), store=store)  # a server certificate is a pin, as in KEDA
    with pytest.raises(CatrustError, match=r"ca= is neither PEM text nor a readable file \(its value is not shown\)"):
        tls_context(ca="/nonexistent/ca.pem", store=store)


def test_concurrent_triggers_never_reach_the_shared_trust(store: TrustStore) -> None:
    cas = [CA(f"trigger {i}") for i in range(8)]
    errors: list[BaseException] = []
    with tls_server(cas[0].issue()) as port:
        barrier = threading.Barrier(len(cas))

        def work(i: int) -> None:
            try:
                barrier.wait()
                for _ in range(5):
                    ctx = tls_context(ca=cas[i].cert_pem, store=store)
                    if i == 0:
                        handshake(ctx, port)
                    with pytest.raises(ssl.SSLCertVerificationError):
                        handshake(store.ssl_context(), port)
            except BaseException as exc:  # noqa: BLE001 - collected and checked below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(cas))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
    assert store.ssl_context().cert_store_stats()["x509"] == 1


def test_client_certificate_inline_and_encrypted(store: TrustStore, ca: CA, tmp_path: Path) -> None:
    client = ca.issue("scaler")
    encrypted = client.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"s3cret")
    )
    server = ca.issue()
    with tls_server(server, mtls_server_context(server, ca)) as port:
        handshake(tls_context(cert=client.chain_pem, key=client.key_pem, store=store), port)
        handshake(tls_context(cert=client.chain_pem, key=encrypted, password="s3cret", store=store), port)
        (tmp_path / "tls.crt").write_bytes(client.chain_pem)
        (tmp_path / "tls.key").write_bytes(encrypted)
        handshake(
            tls_context(cert=tmp_path / "tls.crt", key=tmp_path / "tls.key", password=b"s3cret", store=store), port
        )
        # The shared context carries no client certificate. With TLS 1.3 the server refuses after the
        # client's side of the handshake: an alert, or a reset if the server has closed already.
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            handshake(store.ssl_context(), port)


def test_a_wrong_password_is_named_even_when_the_decryption_looks_valid(
    store: TrustStore, ca: CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """About one wrong password in 256 decrypts with valid padding; only the key inside fails to parse."""
    client = ca.issue("scaler")
    encrypted = client.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"s3cret")
    )
    real = serialization.load_der_private_key

    def padding_happened_to_fit(data: bytes, password: bytes | None, **kwargs: object) -> object:
        if password is not None:
            raise ValueError("Could not deserialize key data. The data may be in an incorrect format")
        return real(data, password)

    monkeypatch.setattr(serialization, "load_der_private_key", padding_happened_to_fit)
    with pytest.raises(CatrustError, match=r"cannot be decrypted: is the password right\?"):
        tls_context(cert=client.chain_pem, key=encrypted, password="wrong", store=store)


def test_client_certificate_errors_are_clear_and_keyless(store: TrustStore, ca: CA) -> None:
    client, stranger = ca.issue("scaler"), ca.issue("other")
    encrypted = client.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"s3cret")
    )
    weak = ca.issue("scaler", key="ec-192")
    refusals: list[tuple[dict[str, Any], type[CatrustError], str]] = [
        (
            {"cert": client.chain_pem, "key": stranger.key_pem},
            KeyMaterialError,
            "the client certificate and key do not match",
        ),
        (
            {"cert": client.chain_pem, "key": encrypted, "password": "wrong"},
            KeyMaterialError,
            "the client key cannot be decrypted: is the password right?",
        ),
        (
            {"cert": client.chain_pem, "key": encrypted, "password": "s3cret\udcff"},
            KeyMaterialError,
            "password= is not valid text (its value is not shown)",
        ),
        ({"key": client.key_pem}, ConfigError, "a client key was given without its certificate (cert=)"),
        (
            {"cert": client.chain_pem},
            ConfigError,
            "a client certificate was given without its key (key=, or one file holding both)",
        ),
        (
            {"cert": b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "key": client.key_pem},
            KeyMaterialError,
            "cert= holds no certificate catrust can read (PEM or DER)",
        ),
        (
            {"cert": weak.chain_pem, "key": weak.key_pem},  # OpenSSL's level 2 refuses a 96-bit-strength key
            KeyMaterialError,
            "the client certificate or key cannot be loaded (EE_KEY_TOO_SMALL)",
        ),
        (
            {"ca": "-----BEGIN CERTIFICATE-----\udcff"},
            KeyMaterialError,
            "ca= is not valid text (its value is not shown)",
        ),
        (
            {"unsafe_ssl": "maybe"},
            ConfigError,
            "unsafe_ssl='maybe' is not a boolean: use true or false (also 1/0, t/f, TRUE/FALSE)",
        ),
    ]
    for kwargs, kind, message in refusals:
        with pytest.raises(kind) as refused:
            tls_context(**kwargs, store=store)
        assert str(refused.value) == message
        assert "PRIVATE" not in message and "s3cret" not in message


def test_every_way_a_client_key_can_be_wrong_is_named(store: TrustStore, ca: CA) -> None:
    """With a readable certificate, so that the key itself is what is judged."""
    client = ca.issue("scaler")
    unknown_algorithm = pem_block("PRIVATE KEY", bytes.fromhex("3010020100300506032a0304040400000000"))  # OID 1.2.3.4
    for key, password, message in (
        (client.key_pem, "pw", "the client key is not encrypted, but a password was given"),
        (unknown_algorithm, None, "the client key uses an algorithm that cannot be loaded"),
        (pem_block("PRIVATE KEY", b"\x30\x03\x02\x01\x00"), "pw", None),
    ):
        with pytest.raises(KeyMaterialError) as refused:
            tls_context(cert=client.chain_pem, key=key, password=password, store=store)
        if message is not None:
            assert str(refused.value) == message
        else:  # not a key at all, whatever the password: never "is the password right?"
            assert "password" not in str(refused.value) and "the client key" in str(refused.value)


def test_openssl_asking_for_a_pass_phrase_is_refused_not_answered() -> None:
    """The callback OpenSSL gets instead of the terminal: catrust's keys reach it unencrypted, so a call means
    one slipped through, and the answer is an error, never a prompt."""
    from catrust import _keys

    with pytest.raises(KeyMaterialError) as refused:
        _keys.never_prompt()
    assert str(refused.value) == "the private key is encrypted and no password was given"


def test_a_client_certificate_in_der_or_with_its_key_in_one_file_works(store: TrustStore, ca: CA) -> None:
    """OpenSSL reads only PEM certificates: catrust hands it the certificates it read, whatever their form."""
    client = ca.issue("scaler")
    server = ca.issue()
    with tls_server(server, mtls_server_context(server, ca)) as port:
        handshake(tls_context(cert=der(client.cert), key=client.key_pem, store=store), port)
        handshake(tls_context(cert=client.key_pem + b"some words\n" + client.chain_pem, store=store), port)


def test_a_client_chain_reaches_the_server_whole(store: TrustStore, ca: CA) -> None:
    """The server trusts only the root: the intermediate in cert= must be sent along with the certificate."""
    intermediate = CA("client intermediate", parent=ca)
    client, server = intermediate.issue("scaler"), ca.issue()
    with tls_server(server, mtls_server_context(server, ca)) as port:
        handshake(tls_context(cert=client.chain_pem, key=client.key_pem, store=store), port)
        alone = pem(client.cert)
        with pytest.raises((ssl.SSLError, ConnectionResetError)):  # TLS 1.3: the server refuses after the client
            handshake(tls_context(cert=alone, key=client.key_pem, store=store), port)


def test_server_name_is_verified_whatever_host_is_dialled(store: TrustStore, ca: CA) -> None:
    with tls_server(ca.issue("redis.internal")) as port:
        pinned = tls_context(server_name="redis.internal", store=store)
        handshake(pinned, port, hostname="127.0.0.1")
        with pytest.raises(ssl.SSLCertVerificationError, match=r"mismatch"):
            handshake(store.ssl_context(), port, hostname="127.0.0.1")


def test_the_pinned_server_name_holds_on_the_asyncio_path(store: TrustStore, ca: CA) -> None:
    """asyncio wraps with wrap_bio, not wrap_socket: the pin must hold there too, whatever name is passed."""

    async def talk(ctx: ssl.SSLContext, port: int, hostname: str) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname=hostname)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = await reader.read(4096)
        writer.close()
        await writer.wait_closed()
        return answer

    with tls_server(ca.issue("redis.internal")) as port:
        assert asyncio.run(talk(tls_context(server_name="redis.internal", store=store), port, "127.0.0.1"))
        with pytest.raises(ssl.SSLCertVerificationError, match=r"mismatch"):
            asyncio.run(talk(tls_context(server_name="other.internal", store=store), port, "redis.internal"))


def test_the_pin_replaces_the_name_and_passes_everything_else_through(store: TrustStore, ca: CA) -> None:
    """wrap_socket and wrap_bio keep the caller's other arguments and ssl's own defaults: a session resumes."""
    pinned = tls_context(server_name="redis.internal", store=store)
    with socket.socket() as raw, pinned.wrap_socket(raw, server_hostname="other") as default:
        assert (default.server_side, default.do_handshake_on_connect, default.suppress_ragged_eofs) == (
            False,
            True,
            True,
        )
    with socket.socket() as raw, pinned.wrap_socket(raw, False, False, False, "other") as given:
        assert (given.server_side, given.do_handshake_on_connect, given.suppress_ragged_eofs) == (False, False, False)
        assert given.server_hostname == "redis.internal"
    with tls_server(ca.issue("redis.internal")) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, pinned.wrap_socket(raw) as first:
            first.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert first.recv(4096).startswith(b"HTTP/1.1 200")  # TLS 1.3 tickets arrive after the handshake
            session = first.session
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with pinned.wrap_socket(raw, session=session) as resumed:
                assert resumed.session_reused
    bio = pinned.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="other", session=session)
    assert (bio.server_side, bio.server_hostname, bio.session == session) == (False, "redis.internal", True)
    fresh = pinned.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
    assert (fresh.server_side, fresh.server_hostname, fresh.session) == (False, "redis.internal", None)


def test_min_version(store: TrustStore, ca: CA) -> None:
    leaf = ca.issue()
    old = server_context(leaf)
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    with tls_server(leaf, old) as port:
        handshake(tls_context(min_version="TLS12", store=store), port)
        with refused_before_verification(NO_COMMON_VERSION):
            handshake(tls_context(min_version="TLS13", store=store), port)
    with pytest.raises(ConfigError, match=r"not a TLS version"):
        tls_context(min_version="1.3", store=store)


def test_unsafe_ssl_only_by_name_and_loudly_once_per_target(
    store: TrustStore, caplog: pytest.LogCaptureFixture
) -> None:
    untrusted = CA("nobody trusts me").issue()
    with tls_server(untrusted) as port:
        with pytest.raises(ssl.SSLCertVerificationError):
            handshake(tls_context(unsafe_ssl="false", store=store), port)
        for _ in range(3):
            handshake(tls_context(unsafe_ssl="true", target="prometheus", store=store), port)
        tls_context(unsafe_ssl=True, server_name="redis.internal", store=store)  # named by its server name
        tls_context(unsafe_ssl=True, store=store)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"TLS verification is OFF for {target} because unsafe_ssl was set: any certificate is accepted, including "
        f"an attacker's; put its CA certificate in {store.ca_dirs[0]} (or pass ca=) and drop unsafe_ssl: the "
        "custom CA makes it unnecessary"
        for target in ("prometheus", "redis.internal", "(unnamed target)")
    ]
    with pytest.raises(ConfigError, match=r"not a boolean"):
        tls_context(unsafe_ssl="yes", store=store)


def test_an_unsafe_context_keeps_the_version_floor_and_alpn_it_was_asked_for(store: TrustStore) -> None:
    ctx = tls_context(unsafe_ssl=True, min_version="TLS13", alpn=["h2"], store=store)
    assert (ctx.verify_mode, ctx.check_hostname) == (ssl.CERT_NONE, False)
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_3 and ctx.catrust_alpn == ("h2",)  # type: ignore[attr-defined]


def test_the_context_cache_keeps_the_64_most_recently_used(store: TrustStore) -> None:
    built = [tls_context(server_name=f"name-{i}", store=store) for i in range(64)]
    assert tls_context(server_name="name-0", store=store) is built[0]  # still cached, and now the most recent
    newest = tls_context(server_name="name-64", store=store)  # the 65th: evicts the least recently used, name-1
    assert tls_context(server_name="name-64", store=store) is newest
    assert tls_context(server_name="name-0", store=store) is built[0]
    assert tls_context(server_name="name-2", store=store) is built[2]
    assert tls_context(server_name="name-1", store=store) is not built[1]  # built again


def test_default_store_is_used_when_none_is_given(ca_dir: Path, ca: CA, monkeypatch: pytest.MonkeyPatch) -> None:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    with tls_server(ca.issue()) as port:
        handshake(tls_context(server_name="localhost"), port, hostname="127.0.0.1")
    assert catrust.default_store().ssl_context().cert_store_stats()["x509"] >= 1


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", True),
        ("t", True),
        ("T", True),
        ("TRUE", True),
        ("true", True),
        ("True", True),
        ("0", False),
        ("f", False),
        ("F", False),
        ("FALSE", False),
        ("false", False),
        ("False", False),
        (True, True),
        (False, False),
    ],
)
def test_parse_bool_is_gos(value: str | bool, expected: bool) -> None:
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", ["yes", "no", "tRuE", "", " true", "2"])
def test_parse_bool_refuses_anything_else(value: str) -> None:
    with pytest.raises(ConfigError, match=r"unsafeSsl"):
        parse_bool(value, "unsafeSsl")


def test_http_clients_take_a_per_trigger_context_built_with_their_alpn(store: TrustStore, ca: CA) -> None:
    """httpx and urllib3 set ALPN on every connection: a frozen context must already have it."""
    import httpx
    import urllib3

    client = ca.issue("scaler")
    server = ca.issue()
    with tls_server(server, mtls_server_context(server, ca)) as port:
        url = f"https://localhost:{port}/"
        ctx = tls_context(cert=client.chain_pem, key=client.key_pem, alpn=catrust.HTTP11, store=store)
        with httpx.Client(verify=ctx) as http:
            assert http.get(url).text == "ok"
        assert urllib3.PoolManager(ssl_context=ctx, retries=False).request("GET", url).data == b"ok"
        without = tls_context(cert=client.chain_pem, key=client.key_pem, store=store)
        with pytest.raises(CatrustError, match=r"alpn="):  # what httpcore does first on a new connection
            without.set_alpn_protocols(["http/1.1"])


def test_an_encrypted_key_in_the_certificate_file_never_prompts(tmp_path: Path) -> None:
    """OpenSSL asks the terminal for a pass phrase when it meets an encrypted key with no callback."""
    leaf = CA("prompt").issue("client")
    encrypted = leaf.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    (tmp_path / "client.pem").write_bytes(leaf.chain_pem + encrypted)
    script = tmp_path / "prompt.py"
    script.write_text(f"""
from pathlib import Path
from catrust import CatrustError, TrustStore, tls_context
try:
    tls_context(cert=Path({str(tmp_path / "client.pem")!r}).read_bytes(), store=TrustStore.load([], system="none"))
except CatrustError as exc:
    print("CatrustError:", exc)
""")
    command = f"{sys.executable} -W error {script}"  # `script` gives the child a terminal of its own
    try:
        result = subprocess.run(
            ["script", "-qec", command, "/dev/null"],
            check=False,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "SHELL": "/bin/sh"},
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"waited for a pass phrase: {exc.stdout!r}")
    assert "pass phrase" not in result.stdout
    assert "CatrustError: the client key is encrypted: pass its password" in result.stdout, result.stdout


def _der(key: Key, fmt: serialization.PrivateFormat, password: bytes | None = None) -> bytes:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.DER, fmt, encryption)


def test_keys_are_read_by_content_whatever_their_label(store: TrustStore, ca: CA) -> None:
    """As KEDA: PKCS#1 under "PRIVATE KEY", PKCS#8 under "RSA PRIVATE KEY", SEC1, encrypted PKCS#8."""
    pkcs1, pkcs8 = serialization.PrivateFormat.TraditionalOpenSSL, serialization.PrivateFormat.PKCS8
    rsa_client = ca.issue("rsa-client", key="rsa")
    ec_client = ca.issue("ec-client")
    encrypted = _der(ec_client.key, pkcs8, b"pw")
    cases: list[tuple[Leaf, bytes, str | None]] = [
        (rsa_client, pem_block("PRIVATE KEY", _der(rsa_client.key, pkcs1)), None),
        (rsa_client, pem_block("RSA PRIVATE KEY", _der(rsa_client.key, pkcs8)), None),
        (ec_client, pem_block("PRIVATE KEY", _der(ec_client.key, pkcs1)), None),
        (ec_client, pem_block("PRIVATE KEY", encrypted), "pw"),
        (ec_client, pem_block("EC PRIVATE KEY", encrypted), "pw"),
    ]
    server = ca.issue()
    with tls_server(server, mtls_server_context(server, ca)) as port:
        for client, key, password in cases:
            handshake(tls_context(cert=client.chain_pem, key=key, password=password, store=store), port)
        together = ec_client.chain_pem + pem_block("ENCRYPTED PRIVATE KEY", encrypted)
        handshake(tls_context(cert=together, password="pw", store=store), port)  # the key in the cert file


def test_an_empty_password_is_no_password(store: TrustStore, ca: CA) -> None:
    """KEDA decrypts only when the password is not empty."""
    client = ca.issue("scaler")
    tls_context(cert=client.chain_pem, key=client.key_pem, password="", store=store)


@pytest.mark.parametrize("name", ["ca", "cert"])
def test_a_key_body_without_its_begin_line_is_never_quoted(store: TrustStore, name: str) -> None:
    body = "".join(key_pem(new_key("rsa")).decode().splitlines()[1:-1])
    with pytest.raises(CatrustError, match=f"{name}= is neither PEM text nor a readable file") as caught:
        tls_context(**{name: body}, store=store)  # type: ignore[arg-type]
    message = str(caught.value)
    assert not any(body[i : i + 20] in message for i in range(len(body) - 19))


def test_an_existing_path_that_is_not_readable_is_named_unless_it_is_the_key(
    store: TrustStore, ca: CA, tmp_path: Path
) -> None:
    with pytest.raises(CatrustError) as named:
        tls_context(ca=str(tmp_path), store=store)
    assert str(named.value) == (
        f"ca file {tmp_path} is a folder; folders are not searched recursively: put its certificates directly in "
        "the CA folder"
    )
    with pytest.raises(KeyMaterialError) as hidden:
        tls_context(cert=ca.issue().chain_pem, key=str(tmp_path), store=store)
    assert str(hidden.value) == "key= is neither PEM text nor a readable file (its value is not shown)"


@pytest.mark.parametrize("value, verifies", [(" true ", False), ("\tfalse\n", True), ("", True), ("   ", True)])
def test_unsafe_ssl_is_trimmed_and_empty_means_unset(store: TrustStore, value: str, verifies: bool) -> None:
    """KEDA trims `unsafeSsl`, reads empty as the default (verify), then applies Go's ParseBool."""
    ctx = tls_context(unsafe_ssl=value, target="trim", store=store)
    assert (ctx.verify_mode == ssl.CERT_REQUIRED) is verifies
