"""Fuzz: mutated certificates and keys through every reader; only a problem or a CatrustError may come out."""

from __future__ import annotations

import base64
import contextlib
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catrust import CatrustError, TrustStore, tls_context
from tests.support.certdirkit import BASE, drive
from tests.support.certkit import CA
from tests.support.hostilecerts import HOSTILE, pem_block

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.DOTALL)
LABELS = ["CERTIFICATE", "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]


@st.composite
def mutated_der(draw: st.DrawFn, der: bytes) -> bytes:
    """`der` with a few bytes flipped, inserted or deleted: mostly still DER-shaped."""
    data = bytearray(der)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data.insert(at, draw(st.integers(0, 255)))
        elif data:
            del data[at]
    return bytes(data)


@st.composite
def hostile_file(draw: st.DrawFn, original: bytes) -> bytes:
    """What a file might hold: its blocks mutated and re-wrapped, an odd certificate, or junk."""
    kind = draw(st.sampled_from(["mutate", "odd", "junk", "der"]))
    blocks = [(m.group(1).decode(), base64.b64decode(b"".join(m.group(2).split()))) for m in _BLOCK.finditer(original)]
    if kind == "junk" or not blocks:
        return draw(st.binary(max_size=300))
    if kind == "odd":
        return pem_block("CERTIFICATE", HOSTILE[draw(st.sampled_from(sorted(HOSTILE)))]())
    index = draw(st.integers(0, len(blocks) - 1))
    label, der = blocks[index]
    der = draw(mutated_der(der))
    if kind == "der":
        return der
    blocks[index] = (draw(st.sampled_from([label, *LABELS])), der)
    return b"".join(pem_block(lab, body) for lab, body in blocks)


@st.composite
def hostile_sets(draw: st.DrawFn) -> dict[str, bytes]:
    changed = draw(st.lists(st.sampled_from(sorted(BASE)), min_size=1, max_size=2, unique=True))
    return {**BASE, **{name: draw(hostile_file(BASE[name])) for name in changed}}


@FUZZ
@given(hostile_sets())
def test_a_mutated_certificate_folder_never_raises(contents: dict[str, bytes]) -> None:
    drive(contents)  # inspect, `certs status`, MutualTLS, generation off, `certs rotate`, renewal


_CA = CA("fuzz")
_CLIENT = _CA.issue("client")
_MATERIAL = {"ca": _CA.cert_pem, "cert": _CLIENT.chain_pem, "key": _CLIENT.key_pem}
_STORE = TrustStore.load([], system="none")


@st.composite
def material(draw: st.DrawFn, name: str) -> str | bytes:
    data = draw(hostile_file(_MATERIAL[name]))
    return data.decode("latin-1") if draw(st.booleans()) else data


@FUZZ
@given(
    st.fixed_dictionaries({}, optional={"ca": material("ca"), "cert": material("cert"), "key": material("key")}),
    st.sampled_from([None, "pw", b"", "\udcff"]),
)
def test_tls_context_inputs_give_a_context_or_a_catrust_error(
    inputs: dict[str, str | bytes], password: str | bytes | None
) -> None:
    with contextlib.suppress(CatrustError):
        tls_context(**inputs, password=password, store=_STORE)  # type: ignore[arg-type]
