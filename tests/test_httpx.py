"""httpx factories: real HTTPS requests, sync and async, on one shared context."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
import pytest

import catrust
from catrust import CatrustError
from tests.support.certkit import CA
from tests.support.tlsserver import tls_server


@pytest.fixture
def trusted(ca_dir: Path, ca: CA, monkeypatch: pytest.MonkeyPatch) -> CA:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    return ca


def test_sync_client_trusts_the_custom_ca_and_plain_httpx_does_not(trusted: CA) -> None:
    with tls_server(trusted.issue()) as port:
        url = f"https://localhost:{port}/"
        with catrust.httpx_client() as client:
            assert client.get(url).text == "ok"
        with httpx.Client() as plain, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            plain.get(url)


def test_async_client(trusted: CA) -> None:
    async def fetch(url: str) -> str:
        async with catrust.httpx_async_client(timeout=10) as client:
            return (await client.get(url)).text

    with tls_server(trusted.issue()) as port:
        assert asyncio.run(fetch(f"https://localhost:{port}/")) == "ok"


def test_clients_share_one_context_that_is_not_the_plain_one(trusted: CA) -> None:
    a, b = catrust.httpx_client(), catrust.httpx_client(timeout=3)
    ctx_a = a._transport._pool._ssl_context  # type: ignore[attr-defined]
    ctx_b = b._transport._pool._ssl_context  # type: ignore[attr-defined]
    # httpcore sets ALPN on the context it is given: plain and HTTP/2 clients never share one.
    # Clients hold a CurrentTrust that hands each new connection to the shared context in force.
    assert ctx_a is ctx_b and ctx_a is not catrust.ssl_context()
    assert catrust.default_store().ssl_context(alpn=("http/1.1",)) is ctx_a.current()
    assert catrust.default_store().ssl_context(alpn=("http/1.1", "h2")) is not ctx_a.current()


@pytest.mark.parametrize("kwarg", ["verify", "cert"])
def test_arguments_that_would_weaken_or_mutate_shared_trust_are_refused(kwarg: str) -> None:
    with pytest.raises(CatrustError, match=f"does not take {kwarg}="):
        catrust.httpx_client(**{kwarg: False})


def test_many_threads_create_clients_and_request_at_once(trusted: CA) -> None:
    errors: list[BaseException] = []
    with tls_server(trusted.issue()) as port:
        barrier = threading.Barrier(12)

        def work() -> None:
            try:
                barrier.wait()
                for _ in range(5):
                    with catrust.httpx_client(timeout=10) as client:
                        assert client.get(f"https://127.0.0.1:{port}/").text == "ok"
            except BaseException as exc:  # noqa: BLE001 - collected and re-raised below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
