"""Fixtures every test gets: a clean environment and process state, and no process left behind."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import catrust._process_trust
import catrust._trigger_tls
from tests.support.certkit import CA
from tests.support.clock import FakeClock
from tests.support.servers import processes_with

SESSION_MARK = "PYTEST_CATRUST_SESSION"  # inherited by every process the suite starts, daemons included


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """Every server a test starts is stopped by the end: a process still carrying this session's mark fails the run.

    A mark in the environment, not the process tree: a daemon (RabbitMQ's epmd, say) leaves the tree but
    keeps its environment. The leftovers are killed after they are reported, so one failure does not leak.
    """
    os.environ[SESSION_MARK] = session = uuid.uuid4().hex
    mark = f"{SESSION_MARK}={session}".encode()
    yield
    deadline = time.monotonic() + 10  # a server stopped a moment ago may still be exiting
    while (left := processes_with(mark)) and time.monotonic() < deadline:
        time.sleep(0.2)
    commands = {pid: _command(pid) for pid in left}
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"processes started by the tests are still running: {commands}"


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from a known environment and a fresh process-wide store."""
    for name in list(os.environ):
        if name.startswith(("CATRUST_", "KEDA_")) or name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
            monkeypatch.delenv(name)
    catrust._process_trust._reset()
    catrust._trigger_tls._reset()
    yield
    catrust._process_trust._reset()
    catrust._trigger_tls._reset()


@pytest.fixture(scope="session")
def ca() -> CA:
    return CA("catrust test root")


@pytest.fixture
def ca_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "ca"
    folder.mkdir()
    return folder


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The process-wide trust's clock, moved by hand."""
    fake = FakeClock()
    monkeypatch.setattr(catrust._process_trust, "_clock", fake)
    return fake
