"""`catrust certs …` as a user runs it: a real subprocess, exit codes, no tracebacks, never a key."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from tests.support.certdirkit import generated, plain_copy
from tests.support.cli import run


def key_bodies(folder: Path) -> list[str]:
    """A slice of every key's base64 body: must never show up in any output."""
    out = []
    for path in folder.rglob("*.key"):
        lines = path.read_text().splitlines()[1:-1]
        out.append("".join(lines)[8:56])
    return out


def assert_no_keys(folder: Path, *outputs: str) -> None:
    text = "".join(outputs)
    assert "PRIVATE KEY" not in text
    for body in key_bodies(folder):
        assert body not in text


def test_generate_then_status_shows_a_complete_valid_set(tmp_path: Path) -> None:
    folder = tmp_path / "certs"
    made = run(
        "certs",
        "generate",
        "--cert-dir",
        str(folder),
        "--service",
        "keda-operator",
        "--namespace",
        "keda",
        "--key-type",
        "ec-p256",
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"renewed: {folder}: CA until ") and "no certificates yet" in made.stdout
    again = run(
        "certs",
        "generate",
        "--cert-dir",
        str(folder),
        "--service",
        "keda-operator",
        "--namespace",
        "keda",
        "--key-type",
        "ec-p256",
    )
    assert again.returncode == 0 and again.stdout.startswith("unchanged:")
    status = run("certs", "status", "--cert-dir", str(folder))
    assert status.returncode == 0, status.stdout
    lines = status.stdout.splitlines()
    assert lines[-1] == "ok: a complete, valid set"
    assert any(line.startswith("ca.crt ") and "CN=catrust,O=catrust" in line for line in lines)
    assert any(line.startswith("tls.crt ") and "keda-operator.keda.svc.cluster.local" in line for line in lines)
    assert any(line.startswith("tls.key ") and "matches tls.crt" in line for line in lines)
    assert any(line.startswith("ca.key ") and "matches ca.crt" in line for line in lines)
    assert_no_keys(folder, made.stdout, made.stderr, again.stdout, status.stdout, status.stderr)


def test_status_json(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    result = run("certs", "status", "--cert-dir", str(folder), "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["layout"] == "generations" and data["problems"] == []
    files = {entry["name"]: entry for entry in data["files"]}
    assert set(files) == {"ca.crt", "ca.key", "tls.crt", "tls.key"} and all(f["present"] for f in files.values())
    [leaf] = files["tls.crt"]["certificates"]
    assert leaf["dns_names"][2] == "svc.ns.svc" and 363 <= leaf["days_left"] <= 365
    assert files["ca.crt"]["certificates"][0]["days_left"] >= 3648
    assert files["tls.key"]["matches"] is True and files["tls.key"]["key_type"] == "EC secp256r1"
    assert_no_keys(folder, result.stdout)


def test_status_finds_problems_and_exits_1(tmp_path: Path) -> None:
    folder = plain_copy(generated(tmp_path / "certs"), tmp_path / "byo")
    (folder / "tls.key").write_bytes((generated(tmp_path / "other") / "tls.key").read_bytes())
    result = run("certs", "status", "--cert-dir", str(folder))
    assert result.returncode == 1
    assert "DOES NOT match tls.crt" in result.stdout and "problem: tls.key does not match tls.crt" in result.stdout
    assert re.search(r"^ca\.key +missing$", result.stdout, re.MULTILINE)
    data = json.loads(run("certs", "status", "--cert-dir", str(folder), "--json").stdout)
    assert data["ok"] is False and data["layout"] == "plain"
    assert_no_keys(tmp_path, result.stdout, result.stderr)


def test_ca_bundle_decodes_to_the_ca_pem(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    result = run("certs", "ca-bundle", "--cert-dir", str(folder))
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 1
    assert base64.b64decode(result.stdout) == (folder / "ca.crt").read_bytes()


def test_ca_bundle_never_passes_on_a_key(tmp_path: Path) -> None:
    folder = plain_copy(generated(tmp_path / "certs"), tmp_path / "byo")
    (folder / "ca.crt").write_bytes((folder / "ca.crt").read_bytes() + (folder / "tls.key").read_bytes())
    result = run("certs", "ca-bundle", "--cert-dir", str(folder))
    assert result.returncode == 1 and result.stdout == ""
    assert "ca.crt #2: holds a private key" in result.stderr
    assert_no_keys(folder, result.stdout, result.stderr)


def test_rotate_renews_and_keeps_names(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    due = run("certs", "rotate", "--cert-dir", str(folder), "--within", "400d")
    assert due.returncode == 0 and due.stdout.startswith("renewed:") and "within 400 days" in due.stdout
    calm = run("certs", "rotate", "--cert-dir", str(folder))
    assert calm.returncode == 0 and calm.stdout.startswith("unchanged:")
    data = json.loads(run("certs", "status", "--cert-dir", str(folder), "--json").stdout)
    tls = next(e for e in data["files"] if e["name"] == "tls.crt")
    assert tls["certificates"][0]["dns_names"][0] == "svc" and data["ok"]
    assert next(e for e in data["files"] if e["name"] == "tls.key")["key_type"] == "EC secp256r1"
    assert_no_keys(folder, due.stdout, calm.stdout)


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["certs", "rotate", "--cert-dir", "{empty}"], 1, "nothing to rotate"),
        (["certs", "status", "--cert-dir", "{missing}"], 1, "does not exist"),
        (["certs", "generate", "--cert-dir", "{byo}", "--dns-name", "svc"], 1, "never overwritten"),
        (["certs", "generate", "--cert-dir", "{empty}", "--service", "svc"], 2, "--service needs --namespace"),
        (["certs", "generate", "--cert-dir", "{empty}", "--dns-name", "no way"], 2, "not a DNS name"),
        (["certs", "generate", "--cert-dir", "{empty}"], 2, "one of the arguments --dns-name --service is required"),
        (["certs", "rotate", "--cert-dir", "{empty}", "--within", "soon"], 2, "not a duration"),
    ],
)
def test_user_errors_are_one_clear_line(tmp_path: Path, args: list[str], code: int, words: str) -> None:
    (tmp_path / "empty").mkdir()
    byo = plain_copy(generated(tmp_path / "gen"), tmp_path / "byo")
    paths = {"empty": tmp_path / "empty", "missing": tmp_path / "missing", "byo": byo}
    result = run(*(a.format(**paths) for a in args))
    assert result.returncode == code and words in result.stderr
    assert_no_keys(tmp_path, result.stdout, result.stderr)


def test_certs_commands_do_not_load_the_ca_folders(tmp_path: Path) -> None:
    """A setting only the trust store reads is invalid here; `certs` must not care."""
    folder = generated(tmp_path / "certs")
    result = run("certs", "status", "--cert-dir", str(folder), env={"CATRUST_MAX_FILE_SIZE": "big"})
    assert result.returncode == 0
    assert run("check", env={"CATRUST_MAX_FILE_SIZE": "big"}).returncode == 2
