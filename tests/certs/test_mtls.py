"""Mutual TLS proven by real handshakes on 127.0.0.1, including rotation while a server runs."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import ssl
import threading
from pathlib import Path

import pytest

from catrust import CatrustError, ConfigError, MutualTLS, ensure_cert_dir
from tests.support.certdirkit import (
    CA_DUE,
    LEAF_DUE,
    NAMES,
    generated,
    leaf_sha,
    plain_copy,
)
from tests.support.mtlsserver import Seen, connect, mtls_server
from tests.support.tlsserver import NO_COMMON_VERSION, refused_before_verification


def client_with(trust: Path, cert_from: Path | None) -> ssl.SSLContext:
    """A client built by hand: trusts `trust`/ca.crt, presents `cert_from`'s certificate (or none)."""
    ctx = ssl.create_default_context(cafile=str(trust / "ca.crt"))
    if cert_from is not None:
        ctx.load_cert_chain(cert_from / "tls.crt", cert_from / "tls.key")
    return ctx


@pytest.fixture
def certs(tmp_path: Path) -> Path:
    return generated(tmp_path / "certs")


def test_matching_certificates_connect(certs: Path) -> None:
    mtls = MutualTLS(certs)
    with mtls_server(mtls.server_context()) as port:
        seen = connect(mtls.client_context(), port)
    assert seen == Seen(server_cert=leaf_sha(certs), client_cert=leaf_sha(certs))


def test_contexts_are_strict(certs: Path) -> None:
    mtls = MutualTLS(certs)
    server, client = mtls.server_context(), mtls.client_context()
    assert server.verify_mode == client.verify_mode == ssl.CERT_REQUIRED and client.check_hostname
    assert server.minimum_version == client.minimum_version == ssl.TLSVersion.TLSv1_3


def test_a_client_without_a_certificate_is_refused(certs: Path) -> None:
    with (
        mtls_server(MutualTLS(certs).server_context()) as port,
        refused_before_verification(r"CERTIFICATE_REQUIRED"),
    ):
        connect(client_with(certs, None), port)


def test_a_client_certificate_from_another_ca_is_refused(certs: Path, tmp_path: Path) -> None:
    other = generated(tmp_path / "other")
    with mtls_server(MutualTLS(certs).server_context()) as port:
        with refused_before_verification(r"UNKNOWN_CA"):
            connect(client_with(certs, other), port)
        with pytest.raises(ssl.SSLCertVerificationError):  # and the other side's client refuses us
            connect(MutualTLS(other).client_context(), port)


def test_a_tls12_client_is_refused_at_the_tls13_minimum(certs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tls12 = client_with(certs, certs)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    refused = refused_before_verification(NO_COMMON_VERSION)
    with mtls_server(MutualTLS(certs).server_context()) as port, refused:
        connect(tls12, port)
    monkeypatch.setenv("KEDA_SERVICE_MIN_TLS_VERSION", "TLS12")
    with mtls_server(MutualTLS(certs).server_context()) as port:
        connect(tls12, port)


def test_an_invalid_minimum_version_is_an_error(certs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATRUST_SERVICE_MIN_TLS_VERSION", "TLS1.3")
    with pytest.raises(ConfigError, match=r"CATRUST_SERVICE_MIN_TLS_VERSION"):
        MutualTLS(certs)


def test_kedas_invalid_minimum_version_keeps_the_default_with_a_warning(
    certs: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("KEDA_SERVICE_MIN_TLS_VERSION", "TLS1.3")
    assert MutualTLS(certs).min_version == ssl.TLSVersion.TLSv1_3
    assert "KEDA_SERVICE_MIN_TLS_VERSION" in caplog.text and "not a TLS version" in caplog.text


def test_catrust_s_variable_wins_over_keda_s(certs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEDA_SERVICE_MIN_TLS_VERSION", "TLS12")
    monkeypatch.setenv("CATRUST_SERVICE_MIN_TLS_VERSION", "TLS13")
    assert MutualTLS(certs).min_version == ssl.TLSVersion.TLSv1_3


def test_leaf_rotation_under_load_fails_no_handshake(certs: Path) -> None:
    """Clients connect in a loop from a thread while the leaf is renewed three times underneath."""
    mtls = MutualTLS(certs)
    failures: list[BaseException] = []
    done = threading.Condition()
    count = [0]
    stop = threading.Event()

    def client_loop(port: int) -> None:
        while not stop.is_set():
            try:
                connect(mtls.client_context(), port)
            except BaseException as exc:  # noqa: BLE001 - every failure counts, whatever it is
                failures.append(exc)
            with done:
                count[0] += 1
                done.notify_all()

    def wait_for_more_handshakes(than: int) -> None:
        with done:
            assert done.wait_for(lambda: count[0] >= than + 3 or bool(failures), timeout=60), "client loop stalled"

    with mtls_server(mtls.server_context()) as port:
        thread = threading.Thread(target=client_loop, args=(port,))
        thread.start()
        try:
            for _ in range(3):
                wait_for_more_handshakes(count[0])
                before = leaf_sha(certs)
                assert ensure_cert_dir(certs, NAMES, options=LEAF_DUE).changed
                after = leaf_sha(certs)
                assert after != before
                # the next handshake (ours, right now) already sees the new certificate at both ends
                assert connect(mtls.client_context(), port) == Seen(after, after)
            wait_for_more_handshakes(count[0])
        finally:
            stop.set()
            thread.join(60)
    assert not failures, failures[:3]


def test_ca_rotation_keeps_old_ca_and_new_ca_peers_working(certs: Path, tmp_path: Path) -> None:
    running = MutualTLS(certs)  # started before the rotation; must follow it
    lagging = MutualTLS(plain_copy(certs, tmp_path / "lagging"))  # trusts only the old CA, old certificate
    assert "the old CA stays trusted" in ensure_cert_dir(certs, NAMES, options=CA_DUE).reasons[0]
    rotated = MutualTLS(certs)
    new_only = MutualTLS(plain_copy(certs, tmp_path / "new-only", first_only=True))  # after the old CA is gone

    for server in (running, rotated):
        with mtls_server(server.server_context()) as port:
            assert connect(lagging.client_context(), port).server_cert == leaf_sha(certs)
            assert connect(new_only.client_context(), port).server_cert == leaf_sha(certs)
            assert connect(rotated.client_context(), port).client_cert == leaf_sha(certs)
    with mtls_server(lagging.server_context()) as port:
        assert connect(rotated.client_context(), port).client_cert == leaf_sha(certs)
    with mtls_server(new_only.server_context()) as port:
        connect(rotated.client_context(), port)


def test_without_the_cross_signed_ca_a_lagging_peer_would_refuse_us(certs: Path, tmp_path: Path) -> None:
    """Why tls.crt carries the cross-signed CA: the same rotation, minus it, breaks the old peer."""
    lagging = MutualTLS(plain_copy(certs, tmp_path / "lagging"))
    ensure_cert_dir(certs, NAMES, options=CA_DUE)
    stripped = plain_copy(certs, tmp_path / "stripped", first_only=True)
    shutil.copyfile(certs / "ca.crt", stripped / "ca.crt")  # trusts both CAs, sends only the leaf
    with mtls_server(MutualTLS(stripped).server_context()) as port, pytest.raises(ssl.SSLCertVerificationError):
        connect(lagging.client_context(), port)


class TestBadSetsKeepThePreviousOne:
    """A set that fails the checks is not used: handshakes go on with the last good one."""

    @pytest.mark.parametrize(
        "damage, words",
        [
            ("mismatched key", "tls.key does not match tls.crt"),
            ("truncated key", "tls.key is not a readable PEM private key"),
        ],
    )
    def test_in_plain_files(
        self, certs: Path, tmp_path: Path, damage: str, words: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        byo = plain_copy(certs, tmp_path / "byo")
        good = leaf_sha(byo)
        mtls = MutualTLS(byo)
        other = generated(tmp_path / "other")
        with mtls_server(mtls.server_context()) as port:
            if damage == "mismatched key":  # a new certificate arrived, its key not yet
                shutil.copyfile(other / "tls.crt", byo / "tls.crt")
            else:
                (byo / "tls.key").write_bytes((byo / "tls.key").read_bytes()[:100])
            with caplog.at_level(logging.WARNING, logger="catrust"):
                for _ in range(3):
                    assert connect(mtls.client_context(), port) == Seen(good, good)
            assert caplog.text.count("keeping the certificates in use") == 2  # once per context, not per handshake
            assert words in caplog.text and "PRIVATE KEY" not in caplog.text
            for name in ("ca.crt", "tls.crt", "tls.key"):  # the fix arrives: picked up at once
                shutil.copyfile(other / name, byo / name)
            assert connect(mtls.client_context(), port) == Seen(leaf_sha(other), leaf_sha(other))

    def test_a_damaged_ca_key_does_not_matter(self, certs: Path, tmp_path: Path) -> None:
        """Mutual TLS never uses ca.key: damage there must not block a new certificate."""
        byo = plain_copy(certs, tmp_path / "byo")
        (byo / "ca.key").write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n")
        mtls = MutualTLS(byo)
        other = generated(tmp_path / "other")
        with mtls_server(mtls.server_context()) as port:
            for name in ("ca.crt", "tls.crt", "tls.key"):
                shutil.copyfile(other / name, byo / name)
            assert connect(mtls.client_context(), port) == Seen(leaf_sha(other), leaf_sha(other))

    def test_at_start_it_is_an_error(self, certs: Path, tmp_path: Path) -> None:
        byo = plain_copy(certs, tmp_path / "byo")
        (byo / "tls.key").write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n")
        with pytest.raises(CatrustError, match=r"tls.key is not a readable PEM private key"):
            MutualTLS(byo)
        os.unlink(byo / "tls.key")
        with pytest.raises(CatrustError, match=r"tls.key is missing"):
            MutualTLS(byo)


def test_asyncio_servers_follow_rotation_too(certs: Path) -> None:
    """asyncio hands the callback an SSLObject instead of an SSLSocket: the swap works the same."""
    mtls = MutualTLS(certs)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        writer.write(hashlib.sha256(peer).hexdigest().encode())
        await writer.drain()
        writer.close()

    async def one(port: int) -> Seen:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=mtls.client_context(), server_hostname="svc.ns.svc"
        )
        server = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        answer = await reader.read()
        writer.close()
        await writer.wait_closed()
        return Seen(hashlib.sha256(server).hexdigest(), answer.decode())

    async def scenario() -> tuple[Seen, Seen]:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=mtls.server_context())
        port = server.sockets[0].getsockname()[1]
        async with server:
            before = await one(port)
            ensure_cert_dir(certs, NAMES, options=LEAF_DUE)
            return before, await one(port)

    old = leaf_sha(certs)
    before, after = asyncio.run(scenario())
    assert before == Seen(old, old) and after == Seen(leaf_sha(certs), leaf_sha(certs)) and old != leaf_sha(certs)


def test_a_set_that_failed_only_for_a_moment_is_tried_again(
    certs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that fails once (I/O error, a file mid-copy) must not pin the old certificate until the next change."""
    from catrust._certs import folder as certdir
    from catrust._certs import mtls

    byo = plain_copy(certs, tmp_path / "byo")
    mtls_obj = MutualTLS(byo)
    other = generated(tmp_path / "other")
    now = [1000.0]
    monkeypatch.setattr(mtls.time, "monotonic", lambda: now[0])
    real_read = certdir.read
    monkeypatch.setattr(certdir, "read", lambda d: (_ for _ in ()).throw(CatrustError("I/O error")))
    with mtls_server(mtls_obj.server_context()) as port:
        for name in ("ca.crt", "tls.crt", "tls.key"):
            shutil.copyfile(other / name, byo / name)
        old = leaf_sha(certs)
        assert connect(mtls_obj.client_context(), port) == Seen(old, old)
        monkeypatch.setattr(certdir, "read", real_read)  # the moment passes; the files stay as they are
        assert connect(mtls_obj.client_context(), port) == Seen(old, old)  # not retried at once
        now[0] += mtls.RETRY_SECONDS
        assert connect(mtls_obj.client_context(), port) == Seen(leaf_sha(other), leaf_sha(other))


def test_the_shared_contexts_are_frozen(certs: Path) -> None:
    """Every caller gets the same objects: an SDK must not weaken them for the others."""
    mtls_obj = MutualTLS(certs)
    for ctx in (mtls_obj.server_context(), mtls_obj.client_context()):
        with pytest.raises(CatrustError, match=r"refused to change"):
            ctx.verify_mode = ssl.CERT_NONE
    with pytest.raises(CatrustError, match=r"refused to change check_hostname"):
        mtls_obj.client_context().check_hostname = False


def test_a_key_is_read_by_content_whatever_its_label(tmp_path: Path) -> None:
    """SEC1 content under a "PRIVATE KEY" label, as KEDA accepts: status and handshakes agree."""
    from cryptography.hazmat.primitives import serialization

    from tests.support.hostilecerts import pem_block

    byo = plain_copy(generated(tmp_path / "gen"), tmp_path / "byo")
    key = serialization.load_pem_private_key((byo / "tls.key").read_bytes(), None)
    sec1 = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    (byo / "tls.key").write_bytes(pem_block("PRIVATE KEY", sec1))
    mtls = MutualTLS(byo)
    with mtls_server(mtls.server_context()) as port:
        seen = connect(mtls.client_context(), port)
    assert seen.client_cert == seen.server_cert == leaf_sha(byo)
