"""Step 3, policy: accept, warn or reject one custom certificate, and say why in plain words.

Every accepted certificate becomes a trust anchor on its own (the context sets
VERIFY_X509_PARTIAL_CHAIN, as Go's pool does), so the rules ask one question: can this
certificate sensibly anchor a chain today, and will it still on Python 3.13's strict default?
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

from .model import name_text

EXPIRY_WARNING = timedelta(days=30)
MIN_RSA_BITS = 2048  # OpenSSL's security level 2 refuses less, with a cryptic handshake error
MIN_EC_BITS = 224
_E = TypeVar("_E", bound=x509.ExtensionType)
_NS_CERT_TYPE = x509.ObjectIdentifier("2.16.840.1.113730.1.1")
_STRICT = "Python 3.13's default strict verification (VERIFY_X509_STRICT) will refuse it"


@dataclass(frozen=True)
class Verdict:
    rejected: str | None  # the reason, or None when accepted
    warnings: tuple[str, ...] = ()


def judge(cert: x509.Certificate, now: datetime) -> Verdict:
    try:
        return _judge(cert, now)
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        return Verdict(f"has malformed extensions ({exc})")


def _judge(cert: x509.Certificate, now: datetime) -> Verdict:
    if cert.not_valid_after_utc < now:
        return Verdict(f"expired on {_day(cert.not_valid_after_utc)}")
    if cert.not_valid_before_utc > now:
        return Verdict(f"is not valid until {_day(cert.not_valid_before_utc)}")
    weak = _weak_key(cert)
    if weak:
        return Verdict(weak)

    ext = cert.extensions
    constraints = _get(ext, x509.BasicConstraints)
    usage = _get(ext, x509.KeyUsage)
    ski = _get(ext, x509.SubjectKeyIdentifier)
    aki = _get(ext, x509.AuthorityKeyIdentifier)
    self_issued = cert.subject == cert.issuer
    # OpenSSL's X509_check_ca: without basicConstraints, a v1 self-issued certificate is a CA, and so
    # is one whose keyUsage allows keyCertSign or whose Netscape type says CA. Judge what OpenSSL sees.
    legacy_v1_root = constraints is None and cert.version == x509.Version.v1 and self_issued
    if constraints is None and not legacy_v1_root and (
            (usage is not None and usage.value.key_cert_sign) or _netscape_ca(ext)):
        return Verdict("can sign certificates (keyUsage keyCertSign or a Netscape certificate type) but has no "
                       "basicConstraints, so OpenSSL treats it as a CA though it does not say it is one: "
                       "re-issue it with basicConstraints (CA:TRUE for a CA, CA:FALSE for a server certificate)")
    is_ca = legacy_v1_root or (constraints is not None and constraints.value.ca)
    # A self-issued CA whose AKI names another key is a key-rollover link, not self-signed.
    rollover = (is_ca and self_issued and aki is not None and ski is not None
                and aki.value.key_identifier not in (None, ski.value.digest))
    self_signed = self_issued and not rollover

    if self_signed and not _signature_ok(cert):
        return Verdict("is self-signed but its signature does not verify: the file is damaged or forged")
    if not is_ca and not self_signed:
        return Verdict(
            f"is not a CA and not self-signed (a server or client certificate issued by "
            f"{name_text(cert.issuer)}): it cannot anchor a chain, add the CA that issued it instead")
    if is_ca and usage is not None and not usage.value.key_cert_sign:
        return Verdict("is a CA whose keyUsage does not allow signing certificates (no keyCertSign): "
                       "OpenSSL accepts nothing it issued")

    warnings: list[str] = []
    left = cert.not_valid_after_utc - now
    if left < EXPIRY_WARNING:
        warnings.append(f"expires on {_day(cert.not_valid_after_utc)}, in {left.days} days")
    if legacy_v1_root:
        warnings.append(f"is an X.509 v1 certificate, which OpenSSL treats as a CA: {_STRICT}")
    if constraints is not None and is_ca:
        if not constraints.critical:
            warnings.append(f"basicConstraints is not marked critical: {_STRICT}")
        if usage is None:
            warnings.append(f"has no keyUsage extension (keyCertSign): {_STRICT}")
        if ski is None:
            warnings.append(f"has no Subject Key Identifier: {_STRICT}")
    return Verdict(None, tuple(warnings))


def _netscape_ca(ext: x509.Extensions) -> bool:
    """Whether an obsolete Netscape certificate type (a DER BIT STRING) sets sslCA, emailCA or objCA."""
    for item in ext:
        if item.oid == _NS_CERT_TYPE and isinstance(item.value, x509.UnrecognizedExtension):
            der = item.value.value  # 03 len unused-bits first-byte ...
            return len(der) >= 4 and der[0] == 0x03 and bool(der[3] & 0x07)
    return False


def _weak_key(cert: x509.Certificate) -> str | None:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        return f"has a public key that cannot be read ({exc})"
    if isinstance(key, (rsa.RSAPublicKey, dsa.DSAPublicKey)) and key.key_size < MIN_RSA_BITS:
        kind = "RSA" if isinstance(key, rsa.RSAPublicKey) else "DSA"
        return (f"has a {key.key_size}-bit {kind} key; at least {MIN_RSA_BITS} bits are required "
                "(OpenSSL refuses shorter keys in handshakes)")
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < MIN_EC_BITS:
        return f"has a {key.curve.key_size}-bit elliptic-curve key; at least {MIN_EC_BITS} bits are required"
    return None


def _signature_ok(cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(cert)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _get(ext: x509.Extensions, kind: type[_E]) -> x509.Extension[_E] | None:
    try:
        return ext.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")
