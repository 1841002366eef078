"""Helpers for component-certificate tests: fast options, fingerprints, plain copies of a set."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from catrust import CertOptions, ensure_cert_dir, service_dns_names

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
