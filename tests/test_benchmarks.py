"""The benchmarks run in quick mode inside the suite, so they never rot. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_quick_benchmarks_print_every_row_and_write_json(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())["rows"]
    cases = " ".join(r["case"] for r in rows)
    for words in (
        "client creation",
        "memory",
        "scan+validate",
        "ready context",
        "bundle file",
        "reload check",
        "start-up",
    ):
        assert words in cases and words in result.stdout
    assert all(r["catrust"] > 0 and r["other"] > 0 for r in rows)
