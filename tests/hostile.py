"""Certificates that make cryptography raise when a field is touched: each a correctly signed CA.

Found by fuzzing and in the wild; each used to escape as an exception and cost a process all its
trust. Shared by the hostile-input tests of the trust store and of the component certificates.
"""

from __future__ import annotations

from datetime import timedelta

from certkit import NOW, new_key
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from derkit import as_version, resign


def _ca(name: str, extra: list[x509.ExtensionType] | None = None) -> tuple[bytes, object]:
    key = new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=300)))
    for ext in extra or []:
        builder = builder.add_extension(ext, critical=False)
    if extra is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    cert = builder.sign(key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.DER), key


def _raw(oid: str, value_hex: str) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), bytes.fromhex(value_hex))


def hostile_certificates() -> dict[str, bytes]:
    """Name -> DER of a certificate whose signature is fine but which cryptography fails to read."""
    out: dict[str, bytes] = {}
    out["TLS Feature with an unknown value"], _ = _ca("tls feature", [_raw("1.3.6.1.5.5.7.1.24", "3003020163")])
    out["malformed iPAddress name constraint"], _ = _ca(
        "name constraints", [_raw("2.5.29.30", "300ba0093007870 50a000000ff".replace(" ", ""))])
    plain, key = _ca("version two")
    out["X.509 v2"] = as_version(plain, key, 2)  # type: ignore[arg-type]
    named, key = _ca("ZZZZ")
    out["invalid UTF-8 in the subject"] = resign(named, key,  # type: ignore[arg-type]
                                                 lambda tbs: tbs.replace(b"ZZZZ", b"\xff\xfe\xc0\x80"))
    out["a BIT STRING where a name holds text"], _ = _ca("bits", [])
    out["a BIT STRING where a name holds text"] = resign(
        out["a BIT STRING where a name holds text"], _,  # type: ignore[arg-type]
        lambda tbs: tbs.replace(b"\x0c\x04bits", b"\x03\x04\x00its"))
    return out
