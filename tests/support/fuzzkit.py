"""Mutated certificates, and every path that reads one: the fuzz test's and `scripts/fuzz`'s shared core.

An input is one file's bytes: real certificates (good, odd and hostile) with bytes flipped,
inserted, deleted or repeated, as DER or wrapped in PEM blocks with odd labels and text between.
`through_every_path` feeds it to each reader catrust has; the only outcome allowed is a verdict
(or, where a caller named the input, a CatrustError). Anything else escaping is a bug.
"""

from __future__ import annotations

import base64
import contextlib
import os
import random
import ssl
import tempfile
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import certifi

from catrust import CatrustError, TrustStore, ensure_cert_dir, tls_context
from catrust._certs import folder as certdir
from catrust._certs.check import inspect
from catrust._certs.folder import CertFiles
from catrust._context import TLSOptions, build
from catrust._trust import system as system_roots
from catrust._trust.judge import judge_file
from tests.support.certdirkit import FAST, NAMES
from tests.support.certkit import CA, der, self_signed_leaf
from tests.support.hostilecerts import HOSTILE

_INTERESTING = (0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x7F, 0x80, 0x81, 0x82, 0x83, 0xA0, 0xA3, 0xFF)
_LABELS = (
    b"CERTIFICATE",
    b"CERTIFICATE",
    b"CERTIFICATE",
    b"X509 CERTIFICATE",
    b"TRUSTED CERTIFICATE",
    b"PRIVATE KEY",
    b"EC PRIVATE KEY",
    b"X509 CRL",
    b"CERTIFICATE REQUEST",
    b"C",
)


def seeds() -> list[bytes]:
    """Real certificates to start from: our own kinds, the hostile set, and a few real roots."""
    ca = CA("fuzz root")
    found = [
        der(ca.cert),
        der(CA("fuzz rsa", key="rsa").cert),
        der(ca.issue().cert),
        der(ca.intermediate().cert),
        der(self_signed_leaf().cert),
        *(build() for build in HOSTILE.values()),
    ]
    with open(certifi.where(), encoding="ascii") as handle:
        text = handle.read()
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    roots = [ssl.PEM_cert_to_DER_cert(begin + block.split(end)[0] + end) for block in text.split(begin)[1:]]
    return found + roots[:: max(1, len(roots) // 8)]


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 8))):
        if not out:
            out += bytes([rng.randrange(256)])
        at = rng.randrange(len(out))
        op = rng.randrange(7)
        if op == 0:
            out[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            out[at] = rng.choice(_INTERESTING)
        elif op == 2:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 5)))
        elif op == 3:
            del out[at : at + rng.randrange(1, 16)]
        elif op == 4:
            end = min(len(out), at + rng.randrange(1, 64))
            out[at:at] = out[at:end]
        elif op == 5:
            del out[at:]
        else:
            out[at] = (out[at] + rng.choice((-1, 1))) % 256
    return bytes(out)


def wrap(rng: random.Random, blocks: list[bytes]) -> bytes:
    """DER alone, or PEM blocks with odd labels, text between, CRLF, a cut end."""
    if len(blocks) == 1 and rng.random() < 0.4:
        return blocks[0]
    parts = []
    for block in blocks:
        label = rng.choice(_LABELS)
        body = base64.encodebytes(block)
        if rng.random() < 0.1:
            body = body.replace(b"\n", b"\r\n")
        if rng.random() < 0.05:
            body = b"Proc-Type: 4,ENCRYPTED\n\n" + body
        parts.append(b"-----BEGIN " + label + b"-----\n" + body + b"-----END " + label + b"-----\n")
        if rng.random() < 0.2:
            parts.append(rng.choice((b"junk between\n", b"\x00\xff", b"# comment\n", b"-----BEGIN \n")))
    data = b"".join(parts)
    if rng.random() < 0.1:
        data = data[: rng.randrange(len(data) + 1)]
    return data


def one_input(rng: random.Random, pool: list[bytes]) -> bytes:
    count = rng.choice((1, 1, 1, 2, 3))
    blocks = [mutate(rng, rng.choice(pool)) if rng.random() < 0.9 else rng.choice(pool) for _ in range(count)]
    return wrap(rng, blocks)


Check = Callable[[bytes, Path], None]


def through_every_path(data: bytes, folder: Path) -> None:
    """Every reader of certificate bytes catrust has; raises only on a bug."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning escaping to the process is a failure too
        for check in CHECKS:
            check(data, folder)


def _ca_folder(data: bytes, folder: Path) -> None:
    verdicts = judge_file("fuzz.pem", data, datetime.now(timezone.utc)).verdicts
    assert verdicts, "every file gets at least one verdict"
    path = folder / "fuzz.pem"
    path.write_bytes(data)
    TrustStore.load(str(folder), system="none").ssl_context()


def _system_roots(data: bytes, folder: Path) -> None:
    path = folder / "fuzz.pem"
    roots = system_roots.load("os", {"SSL_CERT_FILE": str(path), "SSL_CERT_DIR": os.devnull})
    build([c.der for c in roots.certificates], TLSOptions(min_version=ssl.TLSVersion.TLSv1_2))


_EMPTY = TrustStore.load([], system="none")


def _trigger_inputs(data: bytes, folder: Path) -> None:
    """The input as a trigger's CA, as its client certificate, and as its key."""
    for kwargs in ({"ca": data}, {"cert": data}, {"cert": _SET["tls.crt"], "key": data}):
        with contextlib.suppress(CatrustError):
            tls_context(store=_EMPTY, **kwargs)  # type: ignore[arg-type]


def _component_certificates(data: bytes, folder: Path) -> None:
    """The input in place of each file of a valid component-certificate set, judged for `certs status`."""
    now = datetime.now(timezone.utc)
    for name in _SET:
        files = CertFiles(str(folder), str(folder), "plain", {**_SET, name: data}, True)
        inspect(files, now, ca_key=True)


def _valid_set() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        ensure_cert_dir(folder, NAMES, options=FAST)
        return dict(certdir.read(folder).contents)


_SET = _valid_set()
CHECKS: list[Check] = [_ca_folder, _system_roots, _trigger_inputs, _component_certificates]
