"""Every library, used the way its own docs show and given no trust argument, verifies a custom-CA server
after inject() — in this process, in a fresh interpreter with only CATRUST_INJECT=1, and whether it was
imported before or after inject() — and stops trusting it after extract().

The libraries' code lives in tests/support/defaulttrust.py, which also runs as the child program.
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import certifi.core
import pytest

import catrust
from catrust._exported_env import MERGED_BUNDLE_VARS
from tests.support import defaulttrust
from tests.support.certkit import CA, Leaf
from tests.support.servers import (
    moto_https_server,
    nats_server,
    rabbitmq_server,
    redis_server,
    sdk,
)
from tests.support.tlsserver import Handshakes, handshake, recording_server, server_context

LIBRARIES = list(defaulttrust.PROBES)
ROOT = Path(__file__).resolve().parent.parent
VERIFY_FAILED = ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed")


class Servers:
    """One server per library kind, each under a certificate from the custom CA."""

    def __init__(self, ca_dir: Path, cache: Path) -> None:
        self.ca_dir, self.cache = ca_dir, cache
        self.ports: dict[str, int] = {}
        self.recorded: dict[str, Handshakes] = {}
        self.children: dict[str, dict[str, Any]] = {}


@contextlib.contextmanager
def websocket_server(leaf: Leaf) -> Iterator[int]:
    from websockets.sync.server import serve

    def echo(ws: Any) -> None:
        for message in ws:
            ws.send(message)

    with serve(echo, "127.0.0.1", 0, ssl=server_context(leaf)) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.socket.getsockname()[1]
        finally:
            server.shutdown()
            thread.join(10)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    for library in LIBRARIES:
        for module in defaulttrust.MODULES[library]:
            sdk(module)
    sdk("moto")
    ca = CA("catrust inject test root")
    folder = tmp_path_factory.mktemp("inject")
    (folder / "ca").mkdir()
    (folder / "ca" / "ca.pem").write_bytes(ca.cert_pem)
    found = Servers(folder / "ca", folder / "cache")
    with contextlib.ExitStack() as stack:
        for name in ("https", *defaulttrust.RECORDED):
            found.recorded[name] = stack.enter_context(recording_server(ca.issue()))
            found.ports[name] = found.recorded[name].port
        found.ports["websockets"] = stack.enter_context(websocket_server(ca.issue()))
        found.ports["boto3"] = stack.enter_context(moto_https_server(ca.issue()))
        found.ports["redis"] = stack.enter_context(redis_server(ca.issue()))
        found.ports["nats"] = stack.enter_context(nats_server(ca.issue()))
        found.ports["pika"] = stack.enter_context(rabbitmq_server(ca.issue()))
        yield found


@pytest.fixture
def trust(servers: Servers, monkeypatch: pytest.MonkeyPatch) -> Iterator[Servers]:
    """This process reads the servers' CA folder; no trust variable overrides the defaults."""
    monkeypatch.setenv("CATRUST_CA_DIRS", str(servers.ca_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(servers.cache))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in MERGED_BUNDLE_VARS:
        monkeypatch.delenv(name, raising=False)
    yield servers
    catrust.extract()


def verdict(servers: Servers, library: str, run: Any) -> str:
    """Run the library; for those whose protocol no local server speaks, the server's record is the verdict."""
    record = servers.recorded.get(library)
    start = len(record.outcomes) if record else 0
    result = run()
    if record is None:
        return str(result)
    outcome = record.verdict(start)
    return "ok" if outcome == "verified" else outcome


def assert_refused(result: str) -> None:
    """Refused for the certificate, not for anything else (a server down would also fail)."""
    assert result != "ok"
    assert any(reason in result for reason in (*VERIFY_FAILED, "UNKNOWN_CA", "unknown ca")), result


@pytest.mark.parametrize("library", LIBRARIES)
def test_in_process_inject_then_extract(trust: Servers, library: str) -> None:
    run = lambda: defaulttrust.probe(library, trust.ports)  # noqa: E731
    assert_refused(verdict(trust, library, run))
    catrust.inject()
    assert verdict(trust, library, run) == "ok"
    catrust.extract()
    assert_refused(verdict(trust, library, run))


def run_child(servers: Servers, scenario: str) -> dict[str, Any]:
    """The child program, with every library, in a fresh interpreter; results (and server records) per library."""
    if scenario in servers.children:
        return servers.children[scenario]
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("CATRUST_") and name not in (*MERGED_BUNDLE_VARS, "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS")
    }
    env.update(CATRUST_CA_DIRS=str(servers.ca_dir), XDG_CACHE_HOME=str(servers.cache), AWS_EC2_METADATA_DISABLED="true")
    if scenario == "hook":
        env["CATRUST_INJECT"] = "1"
        # As in many images: every trust variable names the system bundle. The hook must widen them, not obey.
        env.update(
            dict.fromkeys(("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE"), system_bundle())
        )
    starts = {name: len(record.outcomes) for name, record in servers.recorded.items()}
    child = subprocess.run(
        [sys.executable, "-m", "tests.support.defaulttrust", scenario, json.dumps(servers.ports), *LIBRARIES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    report: dict[str, Any] = json.loads(child.stdout.splitlines()[-1])
    for library, record in servers.recorded.items():
        if library in report["results"]:
            outcome = record.verdict(starts[library])
            report["results"][library] = "ok" if outcome == "verified" else outcome
    report["stderr"] = child.stderr
    servers.children[scenario] = report
    return report


def system_bundle() -> str:
    path = ssl.get_default_verify_paths().openssl_cafile
    return path if os.path.isfile(path) else certifi.core.where()


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("scenario", ["hook", "before", "after"])
def test_in_a_fresh_interpreter(servers: Servers, scenario: str, library: str) -> None:
    """hook: only CATRUST_INJECT=1, no catrust code; before/after: the library imported before/after inject()."""
    report = run_child(servers, scenario)
    assert report["hooked"] == (scenario == "hook"), report["stderr"]
    assert report["results"][library] == "ok", report["stderr"][-2000:]


def test_the_hook_is_silent_when_all_is_well(servers: Servers) -> None:
    """A program started with CATRUST_INJECT=1 prints nothing of catrust's on stderr when the folder is fine."""
    report = run_child(servers, "hook")
    assert "catrust" not in report["stderr"], report["stderr"]


def test_a_library_given_its_own_ca_file_gets_exactly_that(trust: Servers) -> None:
    requests = sdk("requests")
    httpx = sdk("httpx")
    catrust.inject()
    url = f"https://localhost:{trust.ports['https']}/"
    assert requests.get(url, timeout=10).text == "ok"
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        requests.get(url, timeout=10, verify=certifi.core.where())
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(url, verify=ssl.create_default_context(cafile=certifi.core.where()))
    with pytest.raises(ssl.SSLCertVerificationError):
        ctx = ssl.create_default_context(cadata=Path(certifi.core.where()).read_text())
        handshake(ctx, trust.ports["https"])


def test_verify_false_stays_the_callers_choice(trust: Servers) -> None:
    """inject() adds trust; it neither forces nor removes a caller's explicit verify=False."""
    requests = sdk("requests")
    catrust.inject()
    url = f"https://localhost:{trust.ports['https']}/"
    with pytest.warns(Warning, match="Unverified HTTPS request"):
        assert requests.get(url, timeout=10, verify=False).text == "ok"
    assert ssl.create_default_context().verify_mode == ssl.CERT_REQUIRED
    assert ssl._create_unverified_context().get_ca_certs() == []
