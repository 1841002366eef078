from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from certkit import CA  # noqa: E402

import catrust._process_trust  # noqa: E402


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
