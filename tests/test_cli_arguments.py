"""Every argument value a user can type ends in exit 0, 1 or 2 with one line: never a traceback."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catrust import _cli as cli
from catrust._cli import arguments
from catrust._files import MAX_FILE_SIZE_SETTING
from tests.support.cli import run

GEN = ("certs", "generate", "--cert-dir", "CERTS", "--dns-name", "svc")
BAD = [
    ("watch", "--out", "OUT", "--interval", "-1"),
    ("watch", "--out", "OUT", "--interval", "0"),
    ("watch", "--out", "OUT", "--interval", "nan"),
    ("watch", "--out", "OUT", "--interval", "inf"),
    ("watch", "--out", "OUT", "--interval", "1e300"),
    ("watch", "--out", "", "--interval", "1"),
    ("--max-file-size", "0", "list"),
    ("--max-file-size", "-5", "list"),
    ("--max-file-size", "99999999999999999999", "list"),
    ("--max-file-size", "1e3", "list"),
    ("--ca-dir", "", "list"),
    ("--system", "windows", "list"),
    ("env", "--format", "xml"),
    ("write", ""),
    ("certs", "status", "--cert-dir", ""),
    ("certs", "ca-bundle", "--cert-dir", " "),
    ("certs", "generate", "--cert-dir", "CERTS", "--service", "", "--namespace", "ns"),
    ("certs", "generate", "--cert-dir", "CERTS", "--service", "svc", "--namespace", ""),
    ("certs", "generate", "--cert-dir", "CERTS", "--service", "svc", "--namespace", "ns", "--cluster-domain", ""),
    (*GEN[:-2], "--dns-name", ""),
    (*GEN, "--within", "99999999999d"),
    (*GEN, "--within", "-1d"),
    (*GEN, "--within", "1y"),
    (*GEN, "--ca-common-name", ""),
    (*GEN, "--ca-common-name", "x" * 65),
    (*GEN, "--ca-organization", ""),
    (*GEN, "--key-type", "dsa"),
    ("certs", "rotate", "--cert-dir", "CERTS", "--within", "9999999999h"),
    ("no-such-command",),
]


@pytest.mark.parametrize("args", BAD, ids=[" ".join(a) or "''" for a in BAD])
def test_a_bad_argument_is_one_usage_line(args: tuple[str, ...], tmp_path: Path) -> None:
    swapped = [
        str(tmp_path / "certs") if a == "CERTS" else str(tmp_path / "out.pem") if a == "OUT" else a for a in args
    ]
    result = run("--system", "none", *swapped) if args[0] != "--system" else run(*swapped)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("catrust") and "error:" in lines[0], result.stderr
    assert not (tmp_path / "certs").exists()  # refused before anything is made


def parse(*args: str) -> int:
    """What the parser does with `args`: 0 when accepted, else its exit code (one stderr line)."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            cli._parser().parse_args(list(args))
    except SystemExit as exc:
        assert len(err.getvalue().splitlines()) == 1
        return int(exc.code or 0)
    return 0


NUMBERS = st.one_of(st.text(max_size=30), st.integers().map(str), st.floats().map(repr))


@settings(max_examples=150, deadline=None)
@given(NUMBERS)
def test_any_interval_is_accepted_or_a_usage_error(text: str) -> None:
    code = parse("watch", "--out", "x", "--interval", text)
    assert code in (0, 2)
    if code == 0:
        assert 0 < float(text) <= arguments.MAX_INTERVAL


@settings(max_examples=150, deadline=None)
@given(NUMBERS)
def test_any_file_size_is_accepted_or_a_usage_error(text: str) -> None:
    code = parse("--max-file-size", text, "list")
    assert code in (0, 2)
    if code == 0:
        assert 0 < int(text) <= MAX_FILE_SIZE_SETTING


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=30), st.integers().map(lambda n: f"{n}d"), st.integers().map(lambda n: f"{n}h")))
def test_any_renewal_window_is_accepted_or_a_usage_error(text: str) -> None:
    assert parse("certs", "rotate", "--cert-dir", "x", "--within", text) in (0, 2)
