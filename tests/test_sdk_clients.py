"""Every SDK row in the README: a real handshake against a real server verifies with catrust and fails without it."""

from __future__ import annotations

import asyncio
import ssl
import threading
from pathlib import Path

import certifi
import pytest

import catrust
from catrust import clients
from tests.support.certkit import CA, Leaf
from tests.support.servers import (
    grpc_echo_server,
    moto_https_server,
    nats_server,
    postgres_server,
    rabbitmq_server,
    redis_server,
    sdk,
)
from tests.support.tlsserver import tls_server


@pytest.fixture
def trusted(ca_dir: Path, ca: CA, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CA:
    """The test CA sits in the CA folder; the environment points SDKs at the OS roots, as on this machine."""
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"):
        monkeypatch.setenv(name, certifi.where())
    return ca


@pytest.fixture
def client_leaf(ca: CA, tmp_path: Path) -> tuple[Leaf, Path, Path]:
    """A client certificate from the test CA, written as files with a private key mode."""
    leaf = ca.issue("postgres")
    cert, key = tmp_path / "client.crt", tmp_path / "client.key"
    cert.write_bytes(leaf.chain_pem)
    key.write_bytes(leaf.key_pem)
    key.chmod(0o600)
    return leaf, cert, key


# --- HTTP: requests, urllib3, aiohttp, websockets -------------------------------------------------------


def test_requests(trusted: CA) -> None:
    requests = sdk("requests")
    with tls_server(trusted.issue()) as port:
        url = f"https://localhost:{port}/"
        assert clients.requests_session().get(url, timeout=10).text == "ok"
        with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            requests.Session().get(url, timeout=10)  # REQUESTS_CA_BUNDLE silently wins over session.verify


def test_urllib3(trusted: CA) -> None:
    urllib3 = sdk("urllib3")
    with tls_server(trusted.issue()) as port:
        url = f"https://localhost:{port}/"
        assert clients.urllib3_pool_manager(retries=False).request("GET", url).data == b"ok"
        with pytest.raises(urllib3.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib3.PoolManager(retries=False).request("GET", url)


def test_aiohttp(trusted: CA) -> None:
    aiohttp = sdk("aiohttp")

    async def fetch(url: str, connector: object | None) -> str:
        async with aiohttp.ClientSession(connector=connector() if connector else None) as session:
            async with session.get(url) as response:
                return await response.text()

    with tls_server(trusted.issue()) as port:
        url = f"https://localhost:{port}/"
        assert asyncio.run(fetch(url, clients.aiohttp_connector)) == "ok"
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            asyncio.run(fetch(url, None))


def test_websockets(trusted: CA) -> None:
    sdk("websockets")
    from websockets.sync.client import connect
    from websockets.sync.server import serve

    from tests.support.tlsserver import server_context

    def echo(ws: object) -> None:
        for message in ws:  # type: ignore[attr-defined]
            ws.send(message)  # type: ignore[attr-defined]

    with serve(echo, "127.0.0.1", 0, ssl=server_context(trusted.issue())) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        uri = f"wss://localhost:{server.socket.getsockname()[1]}/"
        with connect(uri, ssl=catrust.ssl_context()) as ws:
            ws.send("ping")
            assert ws.recv() == "ping"
        with pytest.raises(ssl.SSLCertVerificationError):
            connect(uri)
        server.shutdown()


# --- AWS: boto3 against moto behind TLS -----------------------------------------------------------------


def test_boto3(trusted: CA, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3 = sdk("boto3")
    from botocore.exceptions import SSLError

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto_https_server(trusted.issue()) as port:
        endpoint = f"https://localhost:{port}"
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint, **clients.boto3_kwargs())
        s3.create_bucket(Bucket="catrust")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["catrust"]
        plain = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
        with pytest.raises(SSLError):
            plain.list_buckets()


# --- Redis ------------------------------------------------------------------------------------------------


def test_redis_sync_and_asyncio(trusted: CA) -> None:
    redis = sdk("redis")
    with redis_server(trusted.issue()) as port:
        client = redis.Redis(host="localhost", port=port, **clients.redis_kwargs())
        assert client.ping()

        async def ping() -> bool:
            aclient = redis.asyncio.Redis(host="localhost", port=port, **clients.redis_kwargs())
            try:
                return bool(await aclient.ping())
            finally:
                await aclient.aclose()

        assert asyncio.run(ping())
        with pytest.raises(redis.exceptions.ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            redis.Redis(host="localhost", port=port, ssl=True).ping()


def test_redis_intermediate_anchor(ca: CA, ca_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """redis-py builds its own context; the adapter switches partial chains on there too."""
    redis = sdk("redis")
    issuing = ca.intermediate("redis issuing CA")
    (ca_dir / "issuing.pem").write_bytes(issuing.cert_pem)
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    leaf = issuing.issue()
    leaf.chain = [leaf.cert]
    with redis_server(leaf) as port:
        assert redis.Redis(host="localhost", port=port, **clients.redis_kwargs()).ping()


def test_redis_mutual_tls(trusted: CA, client_leaf: tuple[Leaf, Path, Path]) -> None:
    redis = sdk("redis")
    _, cert, key = client_leaf
    with redis_server(trusted.issue(), client_ca_pem=trusted.cert_pem) as port:
        assert redis.Redis(host="localhost", port=port, **clients.redis_kwargs(cert=cert, key=key)).ping()
        with pytest.raises(redis.exceptions.ConnectionError):
            redis.Redis(host="localhost", port=port, **clients.redis_kwargs()).ping()  # no client certificate


# --- PostgreSQL ---------------------------------------------------------------------------------------------


def test_psycopg_verify_full(trusted: CA) -> None:
    psycopg = sdk("psycopg")
    with postgres_server(trusted.issue()) as port:
        with psycopg.connect(
            host="localhost", port=port, user="postgres", dbname="postgres", **clients.psycopg_kwargs()
        ) as conn:
            assert conn.execute("select ssl from pg_stat_ssl where pid = pg_backend_pid()").fetchone() == (True,)
        with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
            psycopg.connect(
                host="localhost",
                port=port,
                user="postgres",
                dbname="postgres",
                sslmode="verify-full",
                sslrootcert=certifi.where(),
            )


def test_psycopg_mutual_tls(trusted: CA, client_leaf: tuple[Leaf, Path, Path]) -> None:
    psycopg = sdk("psycopg")
    _, cert, key = client_leaf
    with postgres_server(trusted.issue(), client_ca_pem=trusted.cert_pem) as port:
        params = dict(host="localhost", port=port, user="postgres", dbname="postgres")
        with psycopg.connect(**params, **clients.psycopg_kwargs(cert=cert, key=key)) as conn:
            assert conn.execute("select client_dn from pg_stat_ssl where pid = pg_backend_pid()").fetchone()[0]
        with pytest.raises(psycopg.OperationalError, match="certificate"):
            psycopg.connect(**params, **clients.psycopg_kwargs())  # no client certificate


# --- gRPC -------------------------------------------------------------------------------------------------


def test_grpc(trusted: CA) -> None:
    grpc = sdk("grpc")
    with grpc_echo_server(trusted.issue()) as port:
        with grpc.secure_channel(f"localhost:{port}", clients.grpc_credentials()) as channel:
            assert channel.unary_unary("/catrust.Echo/Ping")(b"hi", timeout=10) == b"hi"
        with grpc.secure_channel(f"localhost:{port}", grpc.ssl_channel_credentials()) as channel:
            with pytest.raises(grpc.RpcError) as failure:
                channel.unary_unary("/catrust.Echo/Ping")(b"hi", timeout=10)
            assert failure.value.code() == grpc.StatusCode.UNAVAILABLE


def test_grpc_mutual_tls(trusted: CA, client_leaf: tuple[Leaf, Path, Path]) -> None:
    grpc = sdk("grpc")
    leaf, _, _ = client_leaf
    with grpc_echo_server(trusted.issue(), client_ca_pem=trusted.cert_pem) as port:
        creds = clients.grpc_credentials(cert=leaf.chain_pem, key=leaf.key_pem)
        with grpc.secure_channel(f"localhost:{port}", creds) as channel:
            assert channel.unary_unary("/catrust.Echo/Ping")(b"hi", timeout=10) == b"hi"
        with grpc.secure_channel(f"localhost:{port}", clients.grpc_credentials()) as channel:
            with pytest.raises(grpc.RpcError):
                channel.unary_unary("/catrust.Echo/Ping")(b"hi", timeout=10)


# --- NATS -------------------------------------------------------------------------------------------------


def test_nats(trusted: CA) -> None:
    nats = sdk("nats")

    async def roundtrip(port: int, tls: ssl.SSLContext) -> bytes:
        nc = await nats.connect(
            f"tls://localhost:{port}",
            tls=tls,
            tls_hostname="localhost",
            allow_reconnect=False,
            connect_timeout=10,
            max_reconnect_attempts=0,
        )
        try:
            sub = await nc.subscribe("catrust")
            await nc.publish("catrust", b"hello")
            return (await sub.next_msg(timeout=10)).data
        finally:
            await nc.close()

    with nats_server(trusted.issue()) as port:
        assert asyncio.run(roundtrip(port, catrust.ssl_context())) == b"hello"
        with pytest.raises(ssl.SSLCertVerificationError):
            asyncio.run(roundtrip(port, ssl.create_default_context(cafile=certifi.where())))


# --- RabbitMQ ---------------------------------------------------------------------------------------------


def test_pika(trusted: CA) -> None:
    pika = sdk("pika")
    with rabbitmq_server(trusted.issue()) as port:

        def connect(options: object) -> object:
            return pika.BlockingConnection(
                pika.ConnectionParameters(
                    host="localhost", port=port, ssl_options=options, connection_attempts=1, socket_timeout=10
                )
            )

        connection = connect(clients.pika_ssl_options("localhost"))
        channel = connection.channel()
        channel.queue_declare("catrust")
        channel.basic_publish("", "catrust", b"hello")
        assert channel.basic_get("catrust", auto_ack=True)[2] == b"hello"
        connection.close()
        with pytest.raises(ssl.SSLCertVerificationError):
            connect(pika.SSLOptions(ssl.create_default_context(cafile=certifi.where()), "localhost"))
