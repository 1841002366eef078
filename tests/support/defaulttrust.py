"""Each library used the way its own docs show, with no trust argument at all: does it verify our servers?

Used in-process by tests/test_inject_sdks.py, and as a child program that imports the libraries in the
order a scenario needs (`python -m tests.support.defaulttrust SCENARIO PORTS_JSON`):

    hook    catrust is never imported here: only CATRUST_INJECT=1 in the environment can inject it
    before  every library imported, then catrust.inject()
    after   catrust.inject(), then every library imported

The child prints one JSON object: library -> "ok", or the error the library raised. For Kafka,
MongoDB and Elasticsearch, whose protocol no local server speaks, the server side records the verdict.
This module imports no library and not catrust at import time.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

TIMEOUT = 10
# Libraries whose verdict comes from the recording TLS server, not from the client's own result.
RECORDED = ("kafka-python", "pymongo", "elasticsearch")
MODULES = {  # what a scenario imports, per library
    "urllib": ["urllib.request"],
    "http.client": ["http.client"],
    "requests.get": ["requests"],
    "requests.Session": ["requests"],
    "httpx.get": ["httpx"],
    "httpx.AsyncClient": ["httpx"],
    "aiohttp": ["aiohttp"],
    "urllib3": ["urllib3"],
    "websockets": ["websockets.sync.client"],
    "boto3": ["boto3"],
    "redis": ["redis"],
    "pika": ["pika"],
    "nats": ["nats"],
    "kafka-python": ["kafka"],
    "pymongo": ["pymongo"],
    "elasticsearch": ["elasticsearch"],
}
SERVER = {  # which server each library talks to: the key in the ports mapping
    **dict.fromkeys(["urllib", "http.client", "requests.get", "requests.Session", "httpx.get"], "https"),
    **dict.fromkeys(["httpx.AsyncClient", "aiohttp", "urllib3"], "https"),
    **{name: name for name in ["websockets", "boto3", "redis", "pika", "nats", *RECORDED]},
}


def _url(port: int) -> str:
    return f"https://localhost:{port}/"


def _urllib(port: int) -> str:
    import urllib.request

    with urllib.request.urlopen(_url(port), timeout=TIMEOUT) as response:
        return str(response.read().decode())


def _http_client(port: int) -> str:
    import http.client

    conn = http.client.HTTPSConnection("localhost", port, timeout=TIMEOUT)
    try:
        conn.request("GET", "/")
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def _requests_get(port: int) -> str:
    import requests

    return str(requests.get(_url(port), timeout=TIMEOUT).text)


def _requests_session(port: int) -> str:
    import requests

    with requests.Session() as session:
        return str(session.get(_url(port), timeout=TIMEOUT).text)


def _httpx_get(port: int) -> str:
    import httpx

    return httpx.get(_url(port), timeout=TIMEOUT).text


def _httpx_async(port: int) -> str:
    import httpx

    async def fetch() -> str:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            return (await client.get(_url(port))).text

    return asyncio.run(fetch())


def _aiohttp(port: int) -> str:
    import aiohttp

    async def fetch() -> str:
        async with aiohttp.ClientSession() as session, session.get(_url(port)) as response:
            return str(await response.text())

    return asyncio.run(fetch())


def _urllib3(port: int) -> str:
    import urllib3

    with urllib3.PoolManager(retries=False, timeout=TIMEOUT) as pool:
        return str(pool.request("GET", _url(port)).data.decode())


def _websockets(port: int) -> str:
    from websockets.sync.client import connect

    with connect(f"wss://localhost:{port}/", open_timeout=TIMEOUT) as ws:
        ws.send("ok")
        return str(ws.recv(timeout=TIMEOUT))


def _boto3(port: int) -> str:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=f"https://localhost:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    try:
        s3.list_buckets()
    finally:
        s3.close()
    return "ok"


def _redis(port: int) -> str:
    import redis

    client = redis.Redis(host="localhost", port=port, ssl=True, socket_timeout=TIMEOUT)
    try:
        return "ok" if client.ping() else "no PONG"
    finally:
        client.close()


def _pika(port: int) -> str:
    import ssl

    import pika

    context = ssl.create_default_context()
    params = pika.ConnectionParameters(
        host="localhost",
        port=port,
        ssl_options=pika.SSLOptions(context, "localhost"),
        connection_attempts=1,
        socket_timeout=TIMEOUT,
    )
    pika.BlockingConnection(params).close()
    return "ok"


def _nats(port: int) -> str:
    import nats

    async def roundtrip() -> str:
        nc = await nats.connect(
            f"tls://localhost:{port}", allow_reconnect=False, connect_timeout=TIMEOUT, max_reconnect_attempts=0
        )
        await nc.close()
        return "ok"

    return asyncio.run(roundtrip())


def _kafka(port: int) -> str:
    from kafka import KafkaConsumer

    KafkaConsumer(
        bootstrap_servers=f"localhost:{port}",
        security_protocol="SSL",
        bootstrap_timeout_ms=3000,
        request_timeout_ms=3000,
    )
    return "ok"


def _pymongo(port: int) -> str:
    import pymongo

    client: Any = pymongo.MongoClient(f"mongodb://localhost:{port}/?tls=true", serverSelectionTimeoutMS=3000)
    try:
        client.admin.command("ping")
    finally:
        client.close()
    return "ok"


def _elasticsearch(port: int) -> str:
    import elasticsearch

    client = elasticsearch.Elasticsearch(f"https://localhost:{port}", request_timeout=5, max_retries=0)
    try:
        client.info()
    finally:
        client.close()
    return "ok"


PROBES: dict[str, Callable[[int], str]] = {
    "urllib": _urllib,
    "http.client": _http_client,
    "requests.get": _requests_get,
    "requests.Session": _requests_session,
    "httpx.get": _httpx_get,
    "httpx.AsyncClient": _httpx_async,
    "aiohttp": _aiohttp,
    "urllib3": _urllib3,
    "websockets": _websockets,
    "boto3": _boto3,
    "redis": _redis,
    "pika": _pika,
    "nats": _nats,
    "kafka-python": _kafka,
    "pymongo": _pymongo,
    "elasticsearch": _elasticsearch,
}


def probe(library: str, ports: dict[str, int]) -> str:
    """ "ok", or one line naming what the library raised (its verification error, when that is what failed)."""
    with warnings.catch_warnings():
        # Some libraries leave the socket of a refused handshake to the garbage collector (botocore on 3.10):
        # their leak, not this test's finding, so it is collected here, quietly, before the next test.
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            result = PROBES[library](ports[SERVER[library]])
        except Exception as exc:  # noqa: BLE001 - the verdict is the point: report it, whatever it is
            return describe(exc)
        finally:
            gc.collect()
    return "ok" if result == "ok" else f"unexpected answer {result!r}"


def describe(exc: BaseException) -> str:
    """The exception and its causes in one line: libraries wrap the SSL error several layers deep."""
    parts, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)[:2000]


def main(scenario: str, ports: dict[str, int], libraries: list[str]) -> dict[str, Any]:
    hooked = "catrust" in sys.modules  # only the .pth hook could have imported it by now
    if scenario == "after":
        importlib.import_module("catrust").inject()
    for library in libraries:
        for module in MODULES[library]:
            importlib.import_module(module)
    if scenario == "before":
        importlib.import_module("catrust").inject()
    return {"hooked": hooked, "results": {library: probe(library, ports) for library in libraries}}


if __name__ == "__main__":
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    print(json.dumps(main(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:])))
