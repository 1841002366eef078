"""The CLI as a user runs it: `python -m catrust` in a subprocess, from the repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CATRUST_")}
    full_env.update(env or {})
    result = subprocess.run(
        [sys.executable, "-m", "catrust", *args], capture_output=True, text=True, env=full_env, timeout=60, cwd=REPO
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result
