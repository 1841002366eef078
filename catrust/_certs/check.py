"""Judge one component-certificate set: parse every file, match keys, walk the chain, check dates.

Each problem is one sentence naming a file and never quoting it, so it is safe to log and print.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import (
    InternalError,
    InvalidSignature,
    UnsupportedAlgorithm,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
)
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID

from .. import _keys as keys
from .._text import exception_text, name_text
from .._trust import policy
from .._trust.parse import parse
from ..errors import KeyMaterialError
from .folder import CA_CRT, CA_KEY, TLS_CRT, TLS_KEY, CertFiles

PrivateKey = CertificateIssuerPrivateKeyTypes
_SIGNING_KEYS = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    dsa.DSAPrivateKey,
)  # the members of PrivateKey
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
_MALFORMED = (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType)  # reading extensions
# What reading an odd certificate raises, at load or when a part is first touched (cryptography 42-50).
ODD = (
    ValueError,
    TypeError,
    KeyError,
    UnsupportedAlgorithm,
    InternalError,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)
_USAGES = {ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth", ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth"}


@dataclass(frozen=True)
class Inspection:
    """What the files hold and what is wrong with them, by file name."""

    files: CertFiles
    ca_certs: tuple[x509.Certificate, ...]  # ca.crt: the issuing CA first, then CAs kept for an overlap
    ca_key: PrivateKey | None  # None when absent, unreadable, or not asked for
    chain: tuple[x509.Certificate, ...]  # tls.crt: the leaf, then intermediates (a cross-signed CA)
    key: PrivateKey | None  # tls.key
    problems: Mapping[str, tuple[str, ...]]

    @property
    def ca(self) -> x509.Certificate | None:
        return self.ca_certs[0] if self.ca_certs else None

    @property
    def leaf(self) -> x509.Certificate | None:
        return self.chain[0] if self.chain else None

    @property
    def messages(self) -> list[str]:
        return [problem for problems in self.problems.values() for problem in problems]


def inspect(files: CertFiles, now: datetime, *, dns_names: Sequence[str] = (), ca_key: bool = False) -> Inspection:
    """Everything that would make mutual TLS with this set fail.

    `ca.key` is read and judged only with `ca_key=True` (for renewing, and for status): mutual
    TLS never uses it, so a damaged one must not stop a new certificate from being picked up.
    """
    problems: dict[str, list[str]] = {name: [] for name in (CA_CRT, CA_KEY, TLS_CRT, TLS_KEY)}
    for name in (CA_CRT, TLS_CRT, TLS_KEY):
        if name not in files.contents:
            problems[name].append(f"{name} is missing")
    ca_certs, unreadable = certificates(files, CA_CRT)
    problems[CA_CRT] += unreadable
    chain, unreadable = certificates(files, TLS_CRT)
    problems[TLS_CRT] += unreadable
    signer = _key(files, CA_KEY, problems[CA_KEY]) if ca_key else None
    key = _key(files, TLS_KEY, problems[TLS_KEY])

    for number, cert in enumerate(ca_certs, start=1):
        verdict = policy.judge(cert, now)
        if verdict.rejected:
            problems[CA_CRT].append(f"{CA_CRT} #{number}: {verdict.rejected}")
    if signer is not None and ca_certs and not key_matches(signer, ca_certs[0]):
        problems[CA_KEY].append(f"{CA_KEY} does not match the first certificate in {CA_CRT}")
    if chain:
        leaf = chain[0]
        if key is not None and not key_matches(key, leaf):
            problems[TLS_KEY].append(f"{TLS_KEY} does not match {TLS_CRT}")
        # certificates() has read every part of every certificate, so nothing here can raise on odd bytes.
        problems[TLS_CRT] += _leaf_problems(leaf, chain[1:], ca_certs, now, dns_names)
    return Inspection(
        files,
        tuple(ca_certs),
        signer,
        tuple(chain),
        key,
        {name: tuple(items) for name, items in problems.items() if items},
    )


def certificates(files: CertFiles, name: str) -> tuple[list[x509.Certificate], list[str]]:
    """The certificates in one file, and a problem for every block that is not one (a key, say)."""
    data = files.contents.get(name)
    if data is None:
        return [], []
    parsed = parse(name, data)  # never raises: a block cryptography cannot load is a block with an error
    problems = [f"{r.where}: {r.reason}" for r in parsed.rejected]
    problems += [f"{name} #{b.number}: {b.error}" for b in parsed.blocks if b.cert is None]
    certs: list[x509.Certificate] = []
    for block in parsed.blocks:
        if block.cert is None:
            continue
        odd = _unreadable(block.cert)
        if odd:
            problems.append(f"{name} #{block.number}: {odd}")
        else:
            certs.append(block.cert)
    return certs, problems


def _unreadable(cert: x509.Certificate) -> str | None:
    """Why `cert` cannot be used, when reading one of its parts raises (cryptography reads lazily).

    The name and dates were read already (parse.read_block); the parts read here are the rest
    that catrust and the policy touch, so later reads cannot raise; the parsed extensions are
    cached, so the deprecation warnings they give are heard only here.
    """
    parts: dict[str, Callable[[], object]] = {
        "public key": lambda: cert.public_key().public_bytes(*_SPKI),
        "extensions": lambda: cert.extensions,
        "signature algorithm": lambda: cert.signature_hash_algorithm,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for part, read in parts.items():
            try:
                read()
            except ODD as exc:
                problem = exception_text(exc, named=True)
                return f"its {part} cannot be read ({problem}): it is damaged or in a form catrust does not support"
    return None


def key_matches(key: PrivateKey, cert: x509.Certificate) -> bool:
    return key.public_key().public_bytes(*_SPKI) == cert.public_key().public_bytes(*_SPKI)


def same_key(cert: x509.Certificate, other: x509.Certificate) -> bool:
    """Same name and key: `cert` certifies the same CA as `other` (a cross-signed copy, say)."""
    mine, theirs = (c.public_key().public_bytes(*_SPKI) for c in (cert, other))
    return cert.subject == other.subject and mine == theirs


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """One signature check: is `issuer` the certificate whose key signed `cert`?"""
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def dns_names(cert: x509.Certificate) -> list[str]:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName
        )
    except (x509.ExtensionNotFound, *_MALFORMED):
        return []


def _key(files: CertFiles, name: str, problems: list[str]) -> PrivateKey | None:
    data = files.contents.get(name)
    if data is None:
        return None
    try:
        key = keys.load_private_key(data, None, name, "catrust needs an unencrypted key")
    except KeyMaterialError as exc:
        problems.append(str(exc))
        return None
    if not isinstance(key, _SIGNING_KEYS):
        problems.append(f"{name} holds a key type that cannot sign certificates")
        return None
    return key


def _leaf_problems(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    now: datetime,
    wanted: Sequence[str],
) -> list[str]:
    problems: list[str] = []
    if leaf.not_valid_after_utc <= now:
        problems.append(f"{TLS_CRT} expired on {leaf.not_valid_after_utc:%Y-%m-%d}")
    elif leaf.not_valid_before_utc > now:
        problems.append(f"{TLS_CRT} is not valid until {leaf.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")
    if anchors and not _chains_to(leaf, intermediates, anchors, now):
        problems.append(f"{TLS_CRT} is not issued by a CA in {CA_CRT} (its issuer: {name_text(leaf.issuer)})")
    try:
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usages = None  # no restriction: good for both ends
    if usages is not None:
        missing = [label for oid, label in _USAGES.items() if oid not in usages]
        if missing:
            problems.append(
                f"{TLS_CRT} lacks the extended key usage {' and '.join(missing)}: "
                "mutual TLS needs both serverAuth and clientAuth"
            )
    absent = [name for name in wanted if name not in dns_names(leaf)]
    if absent:
        problems.append(f"{TLS_CRT} does not name {', '.join(absent)}")
    return problems


def _chains_to(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    now: datetime,
) -> bool:
    """Walk up from the leaf, anchors first (as OpenSSL does), through unexpired intermediates."""
    current, remaining = leaf, list(intermediates)
    while not any(issued_by(current, anchor) for anchor in anchors):
        parent = next((c for c in remaining if c.not_valid_after_utc > now and issued_by(current, c)), None)
        if parent is None:
            return False
        remaining.remove(parent)
        current = parent
    return True
