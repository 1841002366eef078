"""Make the component CA, its serving/client certificate and, on CA renewal, a cross-signed CA.

Shapes are the ones Python 3.13's strict verification and Go's crypto/x509 accept: a CA with
critical basicConstraints, keyUsage keyCertSign + cRLSign and a Subject Key Identifier; a leaf
with an Authority Key Identifier, SANs and the extended key usages serverAuth and clientAuth.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal, get_args

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..errors import ConfigError
from .check import PrivateKey

KeyType = Literal["rsa-2048", "ec-p256"]
KEY_TYPES: tuple[str, ...] = get_args(KeyType)
BACKDATE = timedelta(hours=1)  # peers whose clocks run a little behind still accept a fresh certificate


def new_key(key_type: KeyType) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """RSA 2048 is KEDA's choice and works everywhere; a P-256 key takes microseconds, not ~30 ms."""
    if key_type == "rsa-2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ec-p256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key type {key_type!r}")


def key_type_of(key: PrivateKey | None) -> KeyType | None:
    """The key type `new_key` would use to make a key like this one (None: not one it makes)."""
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048:
        return "rsa-2048"
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return "ec-p256"
    return None


def ca_name(common_name: str, organization: str) -> x509.Name:
    """Refused as a setting, not a crash: a renewal copies names from a CA someone else may have made."""
    try:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
    except ValueError as exc:
        raise ConfigError(f"cannot name the CA: {exc}") from None


def new_ca(key: PrivateKey, name: x509.Name, now: datetime, validity: timedelta) -> x509.Certificate:
    """A self-signed root for the system's own components."""
    return _ca_builder(name, key.public_key(), name, key, now - BACKDATE, now + validity).sign(key, hashes.SHA256())


def cross_sign(
    ca: x509.Certificate, previous: x509.Certificate, previous_key: PrivateKey, now: datetime
) -> x509.Certificate:
    """`ca`'s name and key certified by the previous CA, valid no longer than that CA.

    Sent after the leaf during a CA overlap, it lets a peer that still trusts only the previous
    CA verify a leaf from the new one; a peer trusting the new CA stops at it and never needs this.
    """
    not_after = min(ca.not_valid_after_utc, previous.not_valid_after_utc)
    return _ca_builder(ca.subject, ca.public_key(), previous.subject, previous_key, now - BACKDATE, not_after).sign(
        previous_key, hashes.SHA256()
    )


def issue(
    ca: x509.Certificate,
    ca_key: PrivateKey,
    key: PrivateKey,
    dns_names: Sequence[str],
    organization: str,
    now: datetime,
    validity: timedelta,
) -> x509.Certificate:
    """A certificate for both ends of mutual TLS, never outliving the CA that issued it."""
    usage = x509.KeyUsage(
        digital_signature=True,
        key_encipherment=isinstance(key, rsa.RSAPrivateKey),
        content_commitment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                    x509.NameAttribute(NameOID.COMMON_NAME, dns_names[0]),
                ]
            )
        )
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + validity, ca.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    return builder.sign(ca_key, hashes.SHA256())


def certs_pem(certs: Sequence[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _ca_builder(
    subject: x509.Name,
    public: CertificatePublicKeyTypes,
    issuer: x509.Name,
    signer: PrivateKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
    )
