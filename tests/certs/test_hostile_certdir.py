"""Component certificates that make cryptography raise: every one ends in a named problem, never a traceback."""

from __future__ import annotations

import pytest

from tests.support.certdirkit import BASE, drive
from tests.support.hostilecerts import HOSTILE, WARNED, ed25519_key_odd, pem_block


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


@pytest.mark.parametrize(
    "kind", ["TLS Feature with an unknown value", "malformed iPAddress name constraint", "unknown key algorithm"]
)
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
