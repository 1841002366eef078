from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import catrust._process_trust
from tests.support.certkit import CA


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from a known environment and a fresh process-wide store."""
    for name in list(os.environ):
        if name.startswith(("CATRUST_", "KEDA_")) or name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
            monkeypatch.delenv(name)
    catrust._process_trust._reset()
    yield
    catrust._process_trust._reset()


@pytest.fixture(scope="session")
def ca() -> CA:
    return CA("catrust test root")


@pytest.fixture
def ca_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "ca"
    folder.mkdir()
    return folder
