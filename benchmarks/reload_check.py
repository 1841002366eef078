"""How much a reload check costs: nothing changed, and one file changed, among N CA files.

Stand-alone: `python benchmarks/reload_check.py [--files N] [--repeats R] [--quick]`.
Prints medians for both folder layouts: plain files, and a Kubernetes Secret mount (visible
names linked through `..data`, where the kubelet's update swaps `..data` and so gives every file
a new inode). The check is `Reloader.check()` as the library runs it; building the new SSL
context after a change is not included (it happens on first use, ~130 µs per anchor).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from catrust._options import Options
from catrust._trust import scan
from catrust._trust.loader import Loader
from catrust._trust.reloader import Reloader

LAYOUTS = ("plain", "kubelet")


@dataclass(frozen=True)
class Result:
    layout: str
    files: int
    repeats: int
    no_change_ms: float  # median
    one_changed_ms: float  # median


def make_cas(count: int) -> list[bytes]:
    """`count` distinct self-signed CA certificates (PEM) that policy accepts without warnings."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    pems = []
    for i in range(count):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"benchmark CA {i}")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        pems.append(cert.public_bytes(serialization.Encoding.PEM))
    return pems


def writer(folder: str, layout: str) -> Callable[[dict[str, bytes]], None]:
    """A function that makes `folder` hold exactly a payload, the way the layout changes it."""
    on_disk: dict[str, bytes] = {}

    def plain(payload: dict[str, bytes]) -> None:  # edits in place: only what changed is written
        for name, content in payload.items():
            if on_disk.get(name) != content:
                with open(os.path.join(folder, name), "wb") as handle:
                    handle.write(content)
                on_disk[name] = content

    def kubelet(payload: dict[str, bytes]) -> None:  # new timestamped folder, atomic ..data swap
        fresh = tempfile.mkdtemp(prefix="..bench.", dir=folder)
        for name, content in payload.items():
            with open(os.path.join(fresh, name), "wb") as handle:
                handle.write(content)
        data = os.path.join(folder, "..data")
        old = os.readlink(data) if os.path.islink(data) else None
        os.symlink(os.path.basename(fresh), os.path.join(folder, "..data_tmp"))
        os.rename(os.path.join(folder, "..data_tmp"), data)
        for name in payload:
            if not os.path.lexists(os.path.join(folder, name)):
                os.symlink(f"..data/{name}", os.path.join(folder, name))
        if old:
            for name in os.listdir(os.path.join(folder, old)):
                os.unlink(os.path.join(folder, old, name))
            os.rmdir(os.path.join(folder, old))

    return plain if layout == "plain" else kubelet


def measure(cas: list[bytes], layout: str, repeats: int, spare: bytes) -> Result:
    """Median wall time of `Reloader.check()` with nothing changed, then with one file's content changed."""
    with tempfile.TemporaryDirectory() as folder:
        write = writer(folder, layout)
        payload = {f"ca-{i:05}.pem": pem for i, pem in enumerate(cas)}
        write(payload)
        follower = Reloader(Loader(Options.resolve(folder, system="auto")))
        follower.check()  # the first load, not measured
        time.sleep(scan.FRESH_NS / 1e9 + 0.1)  # until no file counts as just written
        follower.check()  # now every file is cached by its stat data

        no_change = []
        for _ in range(repeats):
            start = time.perf_counter()
            assert follower.check() is None
            no_change.append(time.perf_counter() - start)

        one_changed = []
        first = next(iter(payload))
        for i in range(repeats):
            payload[first] = spare if i % 2 == 0 else cas[0]
            write(payload)
            start = time.perf_counter()
            follower.check()
            one_changed.append(time.perf_counter() - start)
    return Result(layout, len(cas), repeats, statistics.median(no_change) * 1e3, statistics.median(one_changed) * 1e3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="CA files in the folder (default 1000)")
    parser.add_argument("--repeats", type=int, default=20, help="measurements per median (default 20)")
    parser.add_argument("--quick", action="store_true", help="20 files, one repeat: a smoke test")
    args = parser.parse_args(argv)
    files, repeats = (20, 1) if args.quick else (args.files, args.repeats)
    cas = make_cas(files + 1)
    results = [measure(cas[:files], layout, repeats, spare=cas[files]) for layout in LAYOUTS]
    print(
        f"catrust reload check: {files} CA files, median of {repeats} "
        f"(Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {datetime.now():%Y-%m-%d})"
    )
    print(f"{'layout':<10}{'no change':>12}{'one file changed':>20}")
    for r in results:
        print(f"{r.layout:<10}{r.no_change_ms:>9.2f} ms{r.one_changed_ms:>17.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
