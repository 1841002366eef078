"""The CLI as a user runs it: a real subprocess, exit codes, stdout vs stderr, no tracebacks, no keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.certkit import CA, NOW, key_pem
from tests.support.cli import run

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures" / "ca"


@pytest.fixture
def hostile(ca_dir: Path, ca: CA) -> Path:
    (ca_dir / "good.pem").write_bytes(ca.cert_pem)
    (ca_dir / "key-inside.pem").write_bytes(CA("with key").cert_pem + key_pem(ca.key))
    (ca_dir / "expired.pem").write_bytes(
        CA("expired", not_before=NOW - timedelta(days=90), not_after=NOW - timedelta(days=1)).cert_pem
    )
    (ca_dir / "junk.bin").write_bytes(b"\x00\x01garbage")
    os.mkfifo(ca_dir / "pipe")
    return ca_dir


def key_text(ca: CA) -> str:
    return "".join(key_pem(ca.key).decode().splitlines()[1:-1])[:48]


def test_bundle_goes_to_stdout_and_diagnostics_to_stderr(hostile: Path, ca: CA) -> None:
    result = run("--ca-dir", str(hostile), "--system", "none", "bundle")
    assert result.returncode == 0
    assert result.stdout.count("BEGIN CERTIFICATE") == 2
    assert "BEGIN" not in result.stderr and "rejected:" in result.stderr
    assert "2 custom CAs accepted" in result.stderr
    assert key_text(ca) not in result.stdout + result.stderr and "PRIVATE KEY-----" not in result.stdout


def test_check_exit_codes(hostile: Path, ca_dir: Path, tmp_path: Path) -> None:
    bad = run("--ca-dir", str(hostile), "--system", "none", "check")
    assert bad.returncode == 1
    lines = [line for line in bad.stdout.splitlines() if line.startswith("rejected:")]
    assert len(lines) == 4 and all(str(hostile) in line for line in lines)
    good_dir = tmp_path / "good"
    good_dir.mkdir()
    (good_dir / "ca.pem").write_bytes(CA().cert_pem)
    good = run("--ca-dir", str(good_dir), "--system", "none", "check")
    assert good.returncode == 0 and "ok:" in good.stdout
    missing = run("--ca-dir", str(tmp_path / "absent"), "--system", "none", "check")
    assert missing.returncode == 1 and "does not exist" in missing.stdout
    usage = run("--system", "sometimes", "check")
    assert usage.returncode == 2 and "invalid choice" in usage.stderr


def test_check_json(hostile: Path, ca: CA) -> None:
    result = run("--ca-dir", str(hostile), "--system", "none", "check", "--json")
    data = json.loads(result.stdout)
    assert result.returncode == 1 and data["ok"] is False
    assert {Path(r["path"]).name for r in data["rejected"]} == {"key-inside.pem", "expired.pem", "junk.bin", "pipe"}
    assert key_text(ca) not in result.stdout


def test_list_table_and_json_show_every_certificate(hostile: Path) -> None:
    table = run("--ca-dir", str(hostile), "--system", "certifi", "list")
    assert table.returncode == 0
    assert "accepted" in table.stdout and "rejected" in table.stdout and "trusted" in table.stdout
    data = json.loads(run("--ca-dir", str(hostile), "--system", "certifi", "list", "--json").stdout)
    origins = {c["origin"] for c in data["certificates"]}
    assert origins == {"custom", "system"} and data["system_roots"] > 100
    for cert in data["certificates"]:
        assert len(cert["fingerprint"]) == 64 and cert["subject"] and "verdict" in cert


def test_write_then_use(hostile: Path, tmp_path: Path) -> None:
    target = tmp_path / "bundle.pem"
    result = run("--ca-dir", str(hostile), "--system", "none", "write", str(target))
    assert result.returncode == 0 and result.stdout.startswith(f"wrote {target}: 2 certificates")
    assert target.read_text() == run("--ca-dir", str(hostile), "--system", "none", "bundle").stdout


@pytest.mark.parametrize(
    "args, env, words",
    [
        (["write", "/nonexistent/dir/bundle.pem"], {}, "cannot write"),
        (["check"], {"CATRUST_MIN_TLS_VERSION": "SSL3"}, "CATRUST_MIN_TLS_VERSION"),
        (["check"], {"CATRUST_MAX_FILE_SIZE": "big"}, "CATRUST_MAX_FILE_SIZE"),
        (["--max-file-size", "-1", "check"], {}, "positive"),
        (["watch", "--out", "bundle.pem", "--interval", "0"], {}, "positive"),
    ],
)
def test_user_errors_are_one_clear_line(args: list[str], env: dict[str, str], words: str) -> None:
    result = run("--system", "none", *args, env=env)
    assert result.returncode in (1, 2) and words in result.stderr
    assert result.stderr.startswith("catrust: error: ")


def test_watch_that_cannot_write_its_bundle_stops_at_once(tmp_path: Path) -> None:
    result = run("--ca-dir", str(tmp_path), "--system", "none", "watch", "--out", str(tmp_path / "no" / "b.pem"))
    assert result.returncode == 1 and result.stderr.startswith("catrust: error: cannot write")
    assert result.stdout == ""


def test_folders_from_the_environment_and_from_arguments_agree(hostile: Path) -> None:
    via_env = run("--system", "none", "bundle", env={"CATRUST_CA_DIRS": str(hostile)})
    via_arg = run("--ca-dir", str(hostile), "--system", "none", "bundle")
    assert via_env.stdout == via_arg.stdout


def test_shipped_fixtures_show_every_verdict() -> None:
    result = run("--ca-dir", str(FIXTURES), "--system", "none", "list", "--json")
    data = json.loads(result.stdout)
    verdicts = {c["verdict"] for c in data["certificates"]}
    assert verdicts == {"accepted", "warning"}
    assert len(data["rejected"]) >= 5 and len(data["duplicates"]) == 1
    assert "PRIVATE KEY" not in result.stdout


def test_broken_pipe_is_quiet() -> None:
    proc = subprocess.run(
        f"{sys.executable} -m catrust --system certifi bundle | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert "Traceback" not in proc.stderr and "Broken pipe" not in proc.stderr
