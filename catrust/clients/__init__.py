"""One call per SDK, each handing the SDK trust in the form it handles safely: system roots plus custom CAs.

SDKs take trust as a context, a file or PEM bytes, and some quietly undo it: requests loads
certifi into a context you pass it, urllib3 and httpcore set ALPN on it per connection, and
several SDKs let `REQUESTS_CA_BUNDLE` or a `cafile` *replace* the roots you meant to add to.
Each adapter sidesteps its SDK's trap; the SDK packages are optional extras, imported
only when their adapter is called.
"""

from ._httpx import httpx_async_client, httpx_client
from ._sdks import (
    aiohttp_connector,
    boto3_kwargs,
    grpc_credentials,
    pika_ssl_options,
    psycopg_kwargs,
    redis_kwargs,
    requests_session,
    urllib3_pool_manager,
)

__all__ = [
    "aiohttp_connector",
    "boto3_kwargs",
    "grpc_credentials",
    "httpx_async_client",
    "httpx_client",
    "pika_ssl_options",
    "psycopg_kwargs",
    "redis_kwargs",
    "requests_session",
    "urllib3_pool_manager",
]
