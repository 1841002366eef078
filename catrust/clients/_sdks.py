"""The SDK adapters other than httpx's: each takes trust in the one form its SDK cannot quietly undo."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .._process_trust import ca_bundle_path, default_store
from .._trigger_tls import Material, read_material

if TYPE_CHECKING:
    import aiohttp
    import grpc  # type: ignore[import-untyped]
    import pika  # type: ignore[import-untyped]
    import requests
    import urllib3

_REQUESTS_SESSION: type[requests.Session] | None = None


def requests_session() -> requests.Session:
    """A requests Session verifying against the merged bundle *file*.

    A file, not a context: requests loads certifi into any context it is given, on every new
    connection. And the file is pinned: plain requests lets `REQUESTS_CA_BUNDLE` or
    `CURL_CA_BUNDLE` in the environment override `session.verify` silently.
    """
    global _REQUESTS_SESSION
    if _REQUESTS_SESSION is None:
        _REQUESTS_SESSION = _pinned_session_class()
    session = _REQUESTS_SESSION()
    session.verify = ca_bundle_path()
    return session


def _pinned_session_class() -> type[requests.Session]:
    import requests

    class CatrustSession(requests.Session):
        def merge_environment_settings(
            self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
        ) -> dict[str, Any]:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            if verify is None or verify is True:  # the caller did not choose: keep ours, not the env's
                settings["verify"] = self.verify
            return settings

    return CatrustSession


def urllib3_pool_manager(**kwargs: Any) -> urllib3.PoolManager:
    """A urllib3 PoolManager on a shared context preset to the ALPN urllib3 sets per connection."""
    import urllib3

    return urllib3.PoolManager(ssl_context=default_store().ssl_context(alpn=("http/1.1",)), **kwargs)


def aiohttp_connector(**kwargs: Any) -> aiohttp.TCPConnector:
    """An aiohttp connector on the shared context; create it inside the running event loop."""
    import aiohttp

    return aiohttp.TCPConnector(ssl=default_store().ssl_context(), **kwargs)


def pika_ssl_options(server_hostname: str) -> pika.SSLOptions:
    """pika (RabbitMQ) SSL options on the shared context; pika takes it as is."""
    import pika

    return pika.SSLOptions(default_store().ssl_context(), server_hostname)


def boto3_kwargs() -> dict[str, Any]:
    """`boto3.client(..., **boto3_kwargs())`: botocore takes a bundle path only (and re-reads it per connection)."""
    return {"verify": ca_bundle_path()}


def redis_kwargs(
    *,
    cert: str | os.PathLike[str] | None = None,
    key: str | os.PathLike[str] | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments for redis-py (sync or asyncio), which builds its own context per connection.

    The roots go in as PEM text, and partial chains are switched on so an intermediate CA
    anchors on its own as it does everywhere else in catrust. `cert`/`key` are file paths.
    """
    import ssl

    store = default_store()
    kwargs: dict[str, Any] = {
        "ssl": True,
        "ssl_cert_reqs": "required",
        "ssl_check_hostname": True,
        "ssl_ca_data": store.pem(),
        "ssl_min_version": store.min_tls_version,
        "ssl_include_verify_flags": [ssl.VerifyFlags.VERIFY_X509_PARTIAL_CHAIN],
    }
    if store.ciphers:
        kwargs["ssl_ciphers"] = store.ciphers
    if cert is not None:
        kwargs.update(ssl_certfile=os.fspath(cert), ssl_keyfile=os.fspath(key) if key else None, ssl_password=password)
    return kwargs


def psycopg_kwargs(
    *,
    cert: str | os.PathLike[str] | None = None,
    key: str | os.PathLike[str] | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    """Connection parameters for psycopg/libpq: `verify-full` against the merged bundle file.

    libpq's `sslrootcert` replaces its roots, so it gets the merged bundle, not the custom CAs
    alone. libpq does not allow partial chains: an intermediate needs its root in the folder.
    `cert`/`key` are file paths; libpq wants the key readable by its owner only.
    """
    kwargs: dict[str, Any] = {"sslmode": "verify-full", "sslrootcert": ca_bundle_path()}
    if cert is not None:
        kwargs["sslcert"] = os.fspath(cert)
    if key is not None:
        kwargs["sslkey"] = os.fspath(key)
    if password is not None:
        kwargs["sslpassword"] = password
    return kwargs


def grpc_credentials(*, cert: Material | None = None, key: Material | None = None) -> grpc.ChannelCredentials:
    """gRPC channel credentials: grpcio's BoringSSL ignores Python's ssl and `SSL_CERT_FILE`.

    The roots given *replace* gRPC's defaults, so it gets the merged bundle. `cert`/`key`
    (PEM text or paths) add a client certificate for mutual TLS.
    """
    import grpc

    return grpc.ssl_channel_credentials(
        root_certificates=default_store().pem().encode("ascii"),
        private_key=read_material(key, "key") if key is not None else None,
        certificate_chain=read_material(cert, "cert") if cert is not None else None,
    )
