"""Helpers for component-certificate tests: fast options, fingerprints, plain copies of a set, and `drive`."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from catrust import (
    CatrustError,
    CertOptions,
    MutualTLS,
    ensure_cert_dir,
    service_dns_names,
)
from catrust._certs import folder as certdir
from catrust._certs.check import inspect
from catrust._cli import certs as cli_certs

NAMES = service_dns_names("svc", "ns")  # svc, svc.ns, svc.ns.svc, svc.ns.svc.cluster.local
FAST = CertOptions(key_type="ec-p256")  # P-256 keys take microseconds; RSA 2048 keys ~30 ms
LEAF_DUE = replace(FAST, renew_within=timedelta(days=4000))  # every call renews the certificate
CA_DUE = replace(FAST, ca_renew_within=timedelta(days=4000))  # every call renews the CA


def generated(folder: Path) -> Path:
    ensure_cert_dir(folder, NAMES, options=FAST)
    return folder


def certs(path: Path) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(path.read_bytes())


def sha(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def leaf_sha(folder: Path) -> str:
    return sha(certs(folder / "tls.crt")[0])


def plain_copy(src: Path, dst: Path, *, first_only: bool = False) -> Path:
    """The set in `src` as plain files in `dst`: a peer that has not seen later changes.

    `first_only` keeps just the issuing CA and the leaf: a peer that trusts only the current CA.
    """
    dst.mkdir()
    for name in ("ca.crt", "tls.crt", "tls.key"):
        if first_only and name.endswith(".crt"):
            (dst / name).write_bytes(certs(src / name)[0].public_bytes(Encoding.PEM))
        else:
            shutil.copyfile(src / name, dst / name)
    return dst


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
