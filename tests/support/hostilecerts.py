"""Odd certificates cryptography parses but raises on (lazily, when an accessor is touched).

Each is a CA built with cryptography, then its to-be-signed bytes are patched and signed again,
so the signature is genuine (except where the patch is the signature algorithm itself): found by
fuzzing and in the wild, each used to escape as an exception and cost a process all its trust.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Callable
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.certkit import NOW
from tests.support.derkit import resign

_KEY = ec.generate_private_key(ec.SECP256R1())
_MARK = "catrust-hostile-marker"


def _build(
    *extensions: x509.ExtensionType,
    serial: int = 1,
    common_name: str = "hostile",
    key: ec.EllipticCurvePrivateKey = _KEY,
) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    for ext in extensions:
        builder = builder.add_extension(ext, critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _patch(der: bytes, old: bytes, new: bytes) -> bytes:
    assert old in der, old
    return resign(der, _KEY, lambda tbs: tbs.replace(old, new))


def version_2() -> bytes:
    return _patch(_build(), b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x01")


def tls_feature_unknown() -> bytes:
    der = _build(x509.TLSFeature([x509.TLSFeatureType.status_request]))
    return _patch(der, b"\x04\x05\x30\x03\x02\x01\x05", b"\x04\x05\x30\x03\x02\x01\x07")


def ip_constraint_malformed() -> bytes:
    der = _build(
        x509.NameConstraints(
            permitted_subtrees=[x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))], excluded_subtrees=None
        )
    )
    return _patch(der, b"\x0a\x00\x00\x00\xff\x00\x00\x00", b"\x0a\x00\x00\x00\x00\xff\x00\xff")


def subject_bad_utf8() -> bytes:
    return _patch(_build(common_name=_MARK), b"\x0c\x16" + _MARK.encode(), b"\x0c\x16" + b"\xff" * 22)


def unknown_key_algorithm() -> bytes:
    oid = bytes.fromhex("06072a8648ce3d0201")  # id-ecPublicKey
    return _patch(_build(), oid, bytes.fromhex("06072a8648ce3d0209"))


def unknown_signature_algorithm() -> bytes:
    """Patched in both places it is named, so nothing can verify it: the point is the reading."""
    return _build().replace(bytes.fromhex("06082a8648ce3d040302"), bytes.fromhex("06082a8648ce3d040309"))


def bit_string_name() -> bytes:
    return _patch(_build(common_name="bits"), b"\x0c\x04bits", b"\x03\x04\x00its")


def serial_zero() -> bytes:
    return _patch(_build(serial=1), b"\x02\x01\x01", b"\x02\x01\x00")


def aki_serial_zero() -> bytes:
    aki = x509.AuthorityKeyIdentifier(b"\x01" * 20, [x509.DirectoryName(x509.Name([]))], 5)
    return _patch(_build(aki), b"\x82\x01\x05", b"\x82\x01\x00")


HOSTILE: dict[str, Callable[[], bytes]] = {
    "X.509 v2": version_2,
    "TLS Feature with an unknown value": tls_feature_unknown,
    "malformed iPAddress name constraint": ip_constraint_malformed,
    "subject with invalid UTF-8": subject_bad_utf8,
    "unknown key algorithm": unknown_key_algorithm,
    "unknown signature algorithm": unknown_signature_algorithm,
    "serial number 0": serial_zero,
    "authority key identifier with serial number 0": aki_serial_zero,
    "a BIT STRING where a name holds text": bit_string_name,
}
# Readable, with a deprecation warning: a future cryptography will refuse them; today they work.
WARNED = ("serial number 0", "authority key identifier with serial number 0")


def ed25519_key_odd() -> bytes:
    """A PKCS#8 Ed25519 key whose inner key is 31 bytes: cryptography raises InternalError."""
    inner = b"\x04\x1f" + bytes(range(1, 32))
    content = bytes.fromhex("020100300506032b6570") + bytes([0x04, len(inner)]) + inner
    der = bytes([0x30, len(content)]) + content
    return pem_block("PRIVATE KEY", der)


def pem_block(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()
