"""Material nobody on the team made: the root stores on this machine, loaded as a CA folder.

Every root that is valid today must be accepted, and every rejection must be a true one (the root
expired). Only roots that break the rule are printed, so a failure names exactly what went wrong.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import warnings
from datetime import datetime, timezone
from pathlib import Path

import certifi
import pytest
from cryptography import x509

from catrust import TrustStore

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\s*", re.S)


def _package_file(package: str, *parts: str) -> str | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(next(iter(spec.submodule_search_locations)), *parts)
    return path if os.path.isfile(path) else None


STORES = {
    "debian": "/etc/ssl/certs/ca-certificates.crt",
    "certifi": certifi.where(),
    "grpcio": _package_file("grpc", "_cython", "_credentials", "roots.pem"),
    "botocore": _package_file("botocore", "cacert.pem"),
}


def split_into(folder: Path, bundle: str) -> int:
    """One certificate per file, as a user would drop them into the CA folder."""
    blocks = _PEM.findall(Path(bundle).read_bytes())
    for number, block in enumerate(blocks):
        (folder / f"root-{number:03}.pem").write_bytes(block)
    return len(blocks)


@pytest.mark.parametrize("store", STORES)
def test_every_valid_root_of_a_real_store_is_accepted(ca_dir: Path, store: str) -> None:
    bundle = STORES[store]
    if bundle is None or not os.path.isfile(bundle):
        from tests.support.servers import missing

        missing(f"the {store} root store", "install ca-certificates and the test extras")
    assert bundle is not None
    count = split_into(ca_dir, bundle)
    assert count > 50
    loaded = TrustStore.load(str(ca_dir), system="none")
    now = datetime.now(timezone.utc)
    wrong = []
    for item in loaded.rejected:
        with warnings.catch_warnings():  # a serial number of zero (Go Daddy G2): cryptography warns
            warnings.simplefilter("ignore")
            cert = x509.load_pem_x509_certificate(Path(item.path).read_bytes())
        if not (item.reason.startswith("expired on ") and cert.not_valid_after_utc < now):
            wrong.append(f"{item.subject}: {item.reason}")
    assert not wrong, "valid roots refused:\n" + "\n".join(wrong)
    assert len(loaded.custom) + len(loaded.rejected) + len(loaded.duplicates) == count


def test_debians_one_file_per_root_folder_as_it_ships(tmp_path: Path) -> None:
    """/usr/share/ca-certificates/mozilla: the files update-ca-certificates reads, SHA-1 roots among them."""
    files = sorted(glob.glob("/usr/share/ca-certificates/mozilla/*.crt"))
    if not files:
        from tests.support.servers import missing

        missing("Debian's ca-certificates", "apt-get install ca-certificates")
    loaded = TrustStore.load("/usr/share/ca-certificates/mozilla", system="none")
    sha1 = [c for c in loaded.custom if b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05" in c.der[:600]]
    assert sha1, "expected Debian's SHA-1 self-signed roots (DigiCert Global Root CA, ...) among the accepted"
    assert all(r.reason.startswith("expired on ") for r in loaded.rejected), [r.reason for r in loaded.rejected]
