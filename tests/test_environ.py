"""`catrust env` and the TLS settings from the environment."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

import catrust
from catrust import ConfigError, TrustStore
from catrust._exported_env import MERGED_BUNDLE_VARS
from tests.support.certkit import CA
from tests.support.servers import program
from tests.support.tlsserver import NO_COMMON_CIPHER, handshake, refused_before_verification, tls_server

REPO = Path(__file__).resolve().parent.parent


def test_environ_points_at_the_merged_and_custom_bundles(
    ca_dir: Path, ca: CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    env = catrust.environ()
    assert set(env) == {*MERGED_BUNDLE_VARS, "NODE_EXTRA_CA_CERTS"}
    assert {env[name] for name in MERGED_BUNDLE_VARS} == {catrust.ca_bundle_path()}
    assert (
        Path(env["NODE_EXTRA_CA_CERTS"]).read_text()
        == catrust.default_store().pem().split("-----END CERTIFICATE-----\n")[0] + "-----END CERTIFICATE-----\n"
    )


def test_no_node_variable_without_custom_cas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATRUST_CA_DIRS", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert "NODE_EXTRA_CA_CERTS" not in catrust.environ()


def test_env_output_evald_in_a_shell_makes_curl_and_requests_trust_the_custom_ca(
    ca_dir: Path, ca: CA, tmp_path: Path
) -> None:
    curl = program("curl")
    (ca_dir / "it's a ca.pem").write_bytes(ca.cert_pem)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "it's cache"), "CATRUST_CA_DIRS": str(ca_dir)}
    script = """
        set -e
        eval "$("$PY" -m catrust --system auto env)"
        curl -sS --fail "$URL"; echo
        "$PY" -c 'import os, requests; print(requests.get(os.environ["URL"], timeout=10).text)'
    """
    with tls_server(ca.issue()) as port:
        url = f"https://localhost:{port}/"
        env.update(PY=sys.executable, URL=url)
        trusted = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert trusted.returncode == 0, trusted.stderr
        assert trusted.stdout.split() == ["ok", "ok"]
        untrusted = subprocess.run([curl, "-sS", "--fail", url], env=env, capture_output=True, text=True)
        assert untrusted.returncode == 60  # curl: peer certificate cannot be authenticated


def test_env_json() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "catrust", "--system", "certifi", "env", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0
    assert set(json.loads(result.stdout)) >= set(MERGED_BUNDLE_VARS)


def test_openssl_cipher_string(monkeypatch: pytest.MonkeyPatch, ca: CA) -> None:
    monkeypatch.setenv("CATRUST_TLS_CIPHERS", "ECDHE-ECDSA-AES256-GCM-SHA384")
    ctx = TrustStore.load([], system="none").ssl_context()
    tls12 = {c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12 == {"ECDHE-ECDSA-AES256-GCM-SHA384"}


def test_kedas_go_cipher_names(monkeypatch: pytest.MonkeyPatch, ca: CA, ca_dir: Path) -> None:
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    monkeypatch.setenv(
        "KEDA_HTTP_TLS_CIPHER_LIST",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256",
    )
    ctx = TrustStore.load(str(ca_dir), system="none").ssl_context()
    tls12 = {c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12 == {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"}
    leaf = ca.issue()
    from tests.support.tlsserver import server_context

    server = server_context(leaf)
    server.maximum_version = ssl.TLSVersion.TLSv1_2
    server.set_ciphers("ECDHE-ECDSA-AES256-GCM-SHA384")
    with tls_server(leaf, server) as port, refused_before_verification(NO_COMMON_CIPHER):
        handshake(ctx, port)  # no suite in common: the setting is really applied


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("CATRUST_TLS_CIPHERS", "NOT-A-CIPHER", "matches no cipher suite"),
        ("CATRUST_MIN_TLS_VERSION", "TLS14", "not a TLS version"),
    ],
)
def test_invalid_tls_settings_fail_at_load(monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=words):
        TrustStore.load([], system="none")


def test_catrust_settings_win_over_kedas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEDA_HTTP_MIN_TLS_VERSION", "TLS12")
    monkeypatch.setenv("CATRUST_MIN_TLS_VERSION", "TLS13")
    assert TrustStore.load([], system="none").min_tls_version == ssl.TLSVersion.TLSv1_3


def test_a_child_of_catrust_env_keeps_the_system_roots_ssl_cert_file_named(
    ca_dir: Path, ca: CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child's SSL_CERT_FILE names a catrust bundle, which its catrust skips when reading system roots:
    CATRUST_SYSTEM_CERT_FILE says which file the parent's SSL_CERT_FILE named."""
    system_ca = CA("env system-style root")
    system_file = tmp_path / "system.pem"
    system_file.write_bytes(system_ca.cert_pem)
    (ca_dir / "ca.pem").write_bytes(ca.cert_pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(system_file))
    monkeypatch.setenv("CATRUST_CA_DIRS", str(ca_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    env = catrust.environ()
    assert env["CATRUST_SYSTEM_CERT_FILE"] == str(system_file) and env["SSL_CERT_FILE"] == catrust.ca_bundle_path()
    program = "import catrust\nprint(sorted(c.subject.split(',')[0] for c in catrust.default_store().system))\n"
    child = subprocess.run(
        [sys.executable, "-c", program], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )
    assert child.stdout.split("\n")[0] == "['CN=env system-style root']", child.stderr
