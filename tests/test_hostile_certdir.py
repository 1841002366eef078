"""Component certificates that make cryptography raise: every one ends in a named problem, never a traceback."""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from certdirkit import FAST, NAMES
from hostilecerts import HOSTILE, WARNED, ed25519_key_odd, pem_block

from catrust import CatrustError, MutualTLS, ensure_cert_dir
from catrust._certs import folder as certdir
from catrust._cli import certs as cli_certs
from catrust._certs.check import inspect


def base_set() -> dict[str, bytes]:
    """A valid set made once; tests replace one file at a time."""
    with tempfile.TemporaryDirectory() as folder:
        ensure_cert_dir(folder, NAMES, options=FAST)
        return dict(certdir.read(folder).contents)


BASE = base_set()


def drive(contents: Mapping[str, bytes]) -> list[str]:
    """Every entry point that reads a certificate folder; returns the problems `inspect` found.

    Anything but a CatrustError escaping from one of them fails the caller.
    """
    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as plain, tempfile.TemporaryDirectory() as managed:
        for name, data in contents.items():
            Path(plain, name).write_bytes(data)
        problems = inspect(certdir.read(plain), now, ca_key=True).messages
        with contextlib.redirect_stdout(io.StringIO()):
            assert cli_certs._status(argparse.Namespace(cert_dir=plain, json=False)) in (0, 1)
            assert cli_certs._status(argparse.Namespace(cert_dir=plain, json=True)) in (0, 1)
        for attempt in (lambda: MutualTLS(plain), lambda: ensure_cert_dir(plain, generate=False)):
            with contextlib.suppress(CatrustError):
                attempt()
        certdir.publish(managed, dict(contents), now)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(CatrustError):
            cli_certs._rotate(argparse.Namespace(cert_dir=managed, key_type="ec-p256", within=timedelta(days=90)))
        with contextlib.suppress(CatrustError):
            ensure_cert_dir(managed, NAMES, options=FAST)
    return problems


def pem(der: bytes) -> bytes:
    return pem_block("CERTIFICATE", der)


REFUSED = [kind for kind in HOSTILE if kind not in WARNED]


@pytest.mark.parametrize("kind", REFUSED)
@pytest.mark.parametrize("where", ["ca.crt", "tls.crt"])
def test_an_odd_certificate_alone_is_a_named_problem(kind: str, where: str) -> None:
    problems = drive({**BASE, where: pem(HOSTILE[kind]())})
    assert any(p.startswith(where) for p in problems), problems


@pytest.mark.parametrize("kind", REFUSED)
def test_an_odd_certificate_kept_beside_a_good_ca_is_a_named_problem(kind: str) -> None:
    problems = drive({**BASE, "ca.crt": BASE["ca.crt"] + pem(HOSTILE[kind]())})
    assert any(p.startswith("ca.crt #2") for p in problems), problems


@pytest.mark.parametrize("kind", ["TLS Feature with an unknown value", "malformed iPAddress name constraint",
                                  "unknown key algorithm"])
def test_the_reason_names_the_part_that_cannot_be_read(kind: str) -> None:
    [problem] = [p for p in drive({**BASE, "ca.crt": pem(HOSTILE[kind]())}) if p.startswith("ca.crt")]
    assert "cannot be read" in problem and "damaged or in a form catrust does not support" in problem


@pytest.mark.parametrize("where", ["tls.key", "ca.key"])
def test_an_ed25519_key_with_odd_der_is_a_named_problem(where: str) -> None:
    problems = drive({**BASE, where: ed25519_key_odd()})
    assert f"{where} is not a readable PEM private key (cut short, damaged, or not a key)" in problems


@pytest.mark.parametrize("where", ["ca.crt", "tls.crt", "tls.key", "ca.key"])
@pytest.mark.parametrize("data", [b"\x00\x01random bytes\xff", b"", b"-----BEGIN CERTIFICATE-----\n!!\n"])
def test_junk_in_any_file_is_a_named_problem(where: str, data: bytes) -> None:
    assert any(p.startswith(where) for p in drive({**BASE, where: data}))


def test_a_base_set_has_no_problems() -> None:
    assert drive(BASE) == []
