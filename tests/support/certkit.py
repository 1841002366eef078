"""A tiny test CA (in the spirit of trustme) with the knobs our policy tests need."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | dsa.DSAPrivateKey
NOW = datetime.now(timezone.utc)
_KEYS: dict[tuple[str, int], list[Key]] = {}


_CURVES = {192: ec.SECP192R1(), 224: ec.SECP224R1(), 256: ec.SECP256R1(), 384: ec.SECP384R1()}


def new_key(kind: str = "ec", bits: int = 2048) -> Key:
    """RSA or DSA of `bits`; "ec" is P-256, "ec-192" and the like other NIST curves."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if kind == "dsa":
        return dsa.generate_private_key(key_size=bits)
    return ec.generate_private_key(_CURVES[int(kind[3:]) if kind.startswith("ec-") else 256])


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def key_pem(key: Key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "catrust tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass
class Leaf:
    cert: x509.Certificate
    key: Key
    chain: list[x509.Certificate]  # leaf first, then intermediates up to (not including) the root

    @property
    def chain_pem(self) -> bytes:
        return b"".join(pem(c) for c in self.chain)

    @property
    def key_pem(self) -> bytes:
        return key_pem(self.key)


class CA:
    """A CA certificate and key. Keyword knobs produce the odd certificates policy must judge."""

    def __init__(
        self,
        name: str = "catrust test root",
        *,
        key: str = "ec",
        bits: int = 2048,
        parent: CA | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        critical_bc: bool = True,
        key_usage: bool | None = True,
        ski: bool = True,
        aki: bool = True,
    ) -> None:
        self.name = _name(name)
        self.key = new_key(key, bits)
        self.parent = parent
        signer_key = parent.key if parent else self.key
        issuer = parent.name if parent else self.name
        builder = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(issuer)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or NOW - timedelta(days=1))
            .not_valid_after(not_after or NOW + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=critical_bc)
        )
        if key_usage is not None:
            builder = builder.add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=key_usage,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        if ski:
            builder = builder.add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
        if aki:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False
            )
        self.cert = builder.sign(signer_key, hashes.SHA256())

    @property
    def chain(self) -> list[x509.Certificate]:
        """This CA and its parents, excluding the self-signed root."""
        return [self.cert, *self.parent.chain] if self.parent else []

    @property
    def cert_pem(self) -> bytes:
        return pem(self.cert)

    def intermediate(self, name: str = "catrust test intermediate", **kwargs: object) -> CA:
        return CA(name, parent=self, **kwargs)  # type: ignore[arg-type]

    def issue(
        self, *names: str, not_before: datetime | None = None, not_after: datetime | None = None, key: str = "ec"
    ) -> Leaf:
        names = names or ("localhost", "127.0.0.1")
        leaf_key = new_key(key)
        cert = (
            _leaf_builder(names, leaf_key, self.name, not_before, not_after)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        return Leaf(cert, leaf_key, [cert, *self.chain])


def self_signed_leaf(*names: str, not_after: datetime | None = None) -> Leaf:
    """A server certificate signed by its own key, CA:FALSE: the everyday "self-signed" case."""
    names = names or ("localhost", "127.0.0.1")
    key = new_key("ec")
    name = _name(f"self-signed {names[0]}")
    cert = _leaf_builder(names, key, name, None, not_after, subject=name).sign(key, hashes.SHA256())
    return Leaf(cert, key, [cert])


def _leaf_builder(
    names: tuple[str, ...],
    key: Key,
    issuer: x509.Name,
    not_before: datetime | None,
    not_after: datetime | None,
    subject: x509.Name | None = None,
) -> x509.CertificateBuilder:
    alt: list[x509.GeneralName] = []
    for n in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            alt.append(x509.DNSName(n))
    return (
        x509.CertificateBuilder()
        .subject_name(subject or _name(names[0]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - timedelta(days=1))
        .not_valid_after(not_after or NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
