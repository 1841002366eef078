"""Step 3, policy: accept, warn or reject one custom certificate, and say why in plain words.

Every accepted certificate becomes a trust anchor on its own (the context sets
VERIFY_X509_PARTIAL_CHAIN, as Go's pool does), so the rules ask one question: what will OpenSSL
do with this certificate as an anchor? The answers come from OpenSSL's own rules (`X509_check_ca`,
`X509_supported_extension`, the SSL purposes), each proven by a handshake in
tests/test_differential.py. What cannot be read exactly as OpenSSL reads it is rejected, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import (
    dsa,
    ec,
    ed448,
    ed25519,
    padding,
    rsa,
)
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes as PublicKey,
)
from cryptography.x509.oid import ExtendedKeyUsageOID

from .._text import exception_text, name_text
from .names import same_name

EXPIRY_WARNING = timedelta(days=30)
MIN_RSA_BITS = 2048  # the standard minimum; OpenSSL 3.0 at level 2 refuses RSA under 1963 bits, DSA under 2048
MIN_EC_BITS = 224
_E = TypeVar("_E", bound=x509.ExtensionType)
_NS_CERT_TYPE = x509.ObjectIdentifier("2.16.840.1.113730.1.1")
_PROXY_CERT_INFO = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.14")
_NS_ANY_CA, _NS_SSL_SERVER = 0x07, 0x40  # first byte of the BIT STRING: CA bits 0x04 0x02 0x01; SSL server 0x40
_STRICT = (
    "clients built with ssl.create_default_context() on Python 3.13 or later, including programs given "
    "the bundle file, will refuse it (VERIFY_X509_STRICT); catrust's own contexts keep working"
)
# OpenSSL's X509_supported_extension (3.x): a critical extension not in this list fails every chain through it.
_HANDLED_CRITICAL = frozenset(
    x509.ObjectIdentifier(oid)
    for oid in (
        "2.16.840.1.113730.1.1",  # Netscape certificate type
        "2.5.29.15",
        "2.5.29.17",
        "2.5.29.19",
        "2.5.29.32",
        "2.5.29.31",
        "2.5.29.37",  # KU SAN BC policies CRLDP EKU
        "1.3.6.1.5.5.7.1.7",
        "1.3.6.1.5.5.7.1.8",  # RFC 3779 IP address and AS identifier blocks
        "1.3.6.1.5.5.7.48.1.5",
        "2.5.29.36",
        "1.3.6.1.5.5.7.1.14",  # OCSP no-check, policy constraints, proxy
        "2.5.29.30",
        "2.5.29.33",
        "2.5.29.54",
    )
)  # name constraints, policy mappings, inhibit anyPolicy
# What OpenSSL's SSL server purpose accepts in a CA's extended key usage (serverAuth, or either SGC).
_SERVER_USAGES = frozenset(
    {
        ExtendedKeyUsageOID.SERVER_AUTH,
        x509.ObjectIdentifier("2.16.840.1.113730.4.1"),
        x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.3"),
    }
)


@dataclass(frozen=True)
class Verdict:
    rejected: str | None  # the reason, or None when accepted
    warnings: tuple[str, ...] = ()


class _Refused(Exception):
    """A rejection found deep in a rule; its message is the reason."""


def judge(cert: x509.Certificate, now: datetime) -> Verdict:
    """The verdict for one certificate. Never raises: whatever cryptography fails on is a rejection."""
    try:
        return _judge(cert, now)
    except _Refused as exc:
        return Verdict(str(exc))
    except (x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        return Verdict(f"has malformed extensions ({exc})")
    except Exception as exc:  # noqa: BLE001 - cryptography raises many kinds on odd input, lazily
        return Verdict(
            f"has content catrust cannot read exactly as OpenSSL does ({exception_text(exc, named=True)}), "
            "so it is not trusted"
        )


@dataclass(frozen=True)
class _Extensions:
    constraints: x509.BasicConstraints | None
    constraints_critical: bool
    usage: x509.KeyUsage | None
    extended: x509.ExtendedKeyUsage | None
    ns_cert_type: int | None  # the first byte of the Netscape certificate type's bits
    ski: bytes | None
    aki: x509.AuthorityKeyIdentifier | None


def _judge(cert: x509.Certificate, now: datetime) -> Verdict:
    if cert.not_valid_after_utc <= now:  # OpenSSL: valid from notBefore until just before notAfter
        return Verdict(f"expired on {_day(cert.not_valid_after_utc)}")
    if cert.not_valid_before_utc > now:
        return Verdict(f"is not valid until {_day(cert.not_valid_before_utc)}")
    try:
        key = cert.public_key()  # read once: the size, self-signed and signature rules all need it
    except (ValueError, UnsupportedAlgorithm) as exc:
        return Verdict(f"has a public key that cannot be read ({exc})")
    weak = _weak_key(key)
    if weak:
        return Verdict(weak)
    cert.signature_hash_algorithm  # noqa: B018 - raises for an algorithm cryptography does not know
    ext = _read_extensions(cert.extensions)
    self_issued = same_name(cert.subject, cert.issuer)
    self_signed = self_issued and _akid_matches(cert, ext) and _algorithm_matches_key(cert, key)
    v1 = cert.version == x509.Version.v1
    if v1 and len(cert.extensions):
        return Verdict("is an X.509 v1 certificate carrying extensions, which v1 does not allow: it is malformed")

    # OpenSSL's X509_check_ca, in its order. A keyUsage without keyCertSign rules out a CA outright.
    if ext.usage is not None and not ext.usage.key_cert_sign:
        if ext.constraints is not None and ext.constraints.ca:
            return Verdict(
                "is a CA whose keyUsage does not allow signing certificates (no keyCertSign): "
                "OpenSSL accepts nothing it issued"
            )
        is_ca = False
    elif ext.constraints is not None:
        is_ca = ext.constraints.ca
    elif v1 and self_signed:
        is_ca = True  # OpenSSL's "V1 root"
    elif v1:
        # OpenSSL makes a v1 certificate a CA when *it* finds it self-signed (names, key identifiers,
        # algorithms, string types read its way). Calling it a pin on a guess could hand out a root.
        return Verdict(
            "is an X.509 v1 certificate that catrust cannot confirm is self-signed, and OpenSSL may "
            "treat it as a CA that can issue for any host: re-issue it as X.509 v3 with basicConstraints"
        )
    elif ext.usage is not None or (ext.ns_cert_type is not None and ext.ns_cert_type & _NS_ANY_CA):
        return Verdict(
            "can sign certificates (keyUsage keyCertSign or a Netscape certificate type) but has no "
            "basicConstraints, so OpenSSL treats it as a CA though it does not say it is one: "
            "re-issue it with basicConstraints (CA:TRUE for a CA, CA:FALSE for a server certificate)"
        )
    else:
        is_ca = False

    warnings: list[str] = []
    if self_signed:
        problem = _self_signature_problem(cert, key)
        if problem is not None:
            return Verdict(problem)
    if is_ca:
        usage = _usage_verdict(ext.extended)
        if usage is not None and usage.rejected:
            return usage
        warnings += usage.warnings if usage else ()
    else:
        refused = _server_purpose_problem(ext)
        if refused:
            return Verdict(
                f"is not a CA, and OpenSSL refuses it as a TLS server certificate ({refused}), so "
                "trusting it would verify nothing"
            )
    if not is_ca and not self_signed:
        warnings.append(
            f"is not a CA: it is trusted as a pin for exactly this certificate (issued by "
            f"{name_text(cert.issuer)}), so it verifies only a server presenting it and never anything it signs; "
            "it stops working when the server renews its certificate (trust the CA that issued it instead)"
        )

    left = cert.not_valid_after_utc - now
    if left <= EXPIRY_WARNING:  # from the moment judge.py rechecks it
        warnings.append(f"expires on {_day(cert.not_valid_after_utc)}, in {left.days} days")
    if is_ca:
        warnings += _strict_mode_warnings(ext, v1)
    return Verdict(None, tuple(warnings))


def _strict_mode_warnings(ext: _Extensions, v1: bool) -> list[str]:
    """What Python 3.13's VERIFY_X509_STRICT (on in `ssl.create_default_context()`) refuses in a CA
    that plain OpenSSL accepts: worth a warning, since programs given the bundle file may be strict."""
    if v1:
        return [f"is an X.509 v1 certificate, which OpenSSL treats as a CA: {_STRICT}"]
    found = []
    if ext.constraints is not None:
        if not ext.constraints_critical:
            found.append(f"basicConstraints is not marked critical: {_STRICT}")
        if ext.usage is None:
            found.append(f"has no keyUsage extension (keyCertSign): {_STRICT}")
        if ext.ski is None:
            found.append(f"has no Subject Key Identifier: {_STRICT}")
    return found


def _read_extensions(extensions: x509.Extensions) -> _Extensions:
    """The extensions OpenSSL's decisions depend on, refusing what OpenSSL would not chain through."""
    for item in extensions:
        if item.oid == _PROXY_CERT_INFO:
            raise _Refused(
                "is a proxy certificate (proxyCertInfo): Python's ssl never allows them, so OpenSSL "
                "refuses every chain through it"
            )
        if item.critical and item.oid not in _HANDLED_CRITICAL:
            raise _Refused(
                f"has a critical extension OpenSSL does not handle ({_oid_name(item.oid)}), so OpenSSL "
                "refuses every certificate chain through it"
            )
    constraints = _get(extensions, x509.BasicConstraints)
    usage = _get(extensions, x509.KeyUsage)
    extended = _get(extensions, x509.ExtendedKeyUsage)
    ski = _get(extensions, x509.SubjectKeyIdentifier)
    aki = _get(extensions, x509.AuthorityKeyIdentifier)
    return _Extensions(
        constraints=constraints.value if constraints else None,
        constraints_critical=bool(constraints and constraints.critical),
        usage=usage.value if usage else None,
        extended=extended.value if extended else None,
        ns_cert_type=_netscape_type(extensions),
        ski=ski.value.digest if ski else None,
        aki=aki.value if aki else None,
    )


def _netscape_type(extensions: x509.Extensions) -> int | None:
    """The first byte of an obsolete Netscape certificate type, read only from plain DER.

    OpenSSL also reads BER (a long-form length, a constructed BIT STRING) here; rather than guess
    what it makes of those, anything but the one DER form is rejected.
    """
    for item in extensions:
        if item.oid == _NS_CERT_TYPE:
            der = item.value.value if isinstance(item.value, x509.UnrecognizedExtension) else b""
            if len(der) < 3 or der[0] != 0x03 or der[1] != len(der) - 2 or der[1] >= 0x80 or der[2] > 7:
                raise _Refused(
                    "has a Netscape certificate type extension in an encoding catrust cannot read "
                    "exactly as OpenSSL does, so whether OpenSSL treats it as a CA is unknown"
                )
            return der[3] if len(der) > 3 else 0
    return None


def _usage_verdict(extended: x509.ExtendedKeyUsage | None) -> Verdict | None:
    """A CA's extended key usage limits what OpenSSL lets it issue for: TLS servers, TLS clients, or neither."""
    if extended is None:
        return None
    server = any(oid in _SERVER_USAGES for oid in extended)
    client = ExtendedKeyUsageOID.CLIENT_AUTH in extended
    if not server and not client:
        return Verdict(
            "is a CA whose extended key usage allows neither serverAuth nor clientAuth, so OpenSSL "
            "refuses every TLS certificate it issues (anyExtendedKeyUsage does not count)"
        )
    if not server:
        return Verdict(
            None,
            (
                "its extended key usage lacks serverAuth: OpenSSL refuses the server certificates it "
                "issues, so it can only verify TLS clients (mutual TLS)",
            ),
        )
    if not client:
        return Verdict(
            None,
            (
                "its extended key usage lacks clientAuth: it verifies servers, but OpenSSL refuses "
                "the client certificates it issues (mutual TLS)",
            ),
        )
    return None


def _server_purpose_problem(ext: _Extensions) -> str | None:
    """OpenSSL's SSL server purpose for an end-entity anchor (a pin or a self-signed server certificate)."""
    if ext.extended is not None and not any(oid in _SERVER_USAGES for oid in ext.extended):
        return "its extended key usage lacks serverAuth"
    usage = ext.usage
    if usage is not None and not (usage.digital_signature or usage.key_encipherment or usage.key_agreement):
        return "its keyUsage allows none of digitalSignature, keyEncipherment, keyAgreement"
    if ext.ns_cert_type is not None and not ext.ns_cert_type & _NS_SSL_SERVER:
        return "its Netscape certificate type does not include SSL server"
    return None


def _akid_matches(cert: x509.Certificate, ext: _Extensions) -> bool:
    """OpenSSL's X509_check_akid of a certificate against itself: a self-issued one names its own key."""
    aki = ext.aki
    if aki is None:
        return True
    if aki.key_identifier is not None and ext.ski is not None and aki.key_identifier != ext.ski:
        return False
    if aki.authority_cert_serial_number is not None and aki.authority_cert_serial_number != cert.serial_number:
        return False
    if aki.authority_cert_issuer:
        names = [n.value for n in aki.authority_cert_issuer if isinstance(n, x509.DirectoryName)]
        if not any(same_name(n, cert.issuer) for n in names):
            return False
    return True


def _algorithm_matches_key(cert: x509.Certificate, key: PublicKey) -> bool:
    """OpenSSL calls a certificate self-signed only if its signature algorithm fits its own key type."""
    params = cert.signature_algorithm_parameters
    if isinstance(key, rsa.RSAPublicKey):
        return isinstance(params, (padding.PKCS1v15, padding.PSS))
    if isinstance(key, ec.EllipticCurvePublicKey):
        return isinstance(params, ec.ECDSA)
    if isinstance(key, dsa.DSAPublicKey):
        return params is None and isinstance(cert.signature_hash_algorithm, hashes.HashAlgorithm)
    return isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)) and params is None


def _self_signature_problem(cert: x509.Certificate, key: PublicKey) -> str | None:
    """Check the certificate's signature under its own key, with any algorithm OpenSSL verifies (SHA-1 too).

    cryptography's `verify_directly_issued_by` refuses SHA-1, which 26 of Debian's roots use, so the
    signature is checked with the key directly. An algorithm cryptography cannot verify is not proof
    of damage: OpenSSL never checks an anchor's own signature, so that stays trusted.
    """
    params = cert.signature_algorithm_parameters
    digest = cert.signature_hash_algorithm
    data, signature = cert.tbs_certificate_bytes, cert.signature
    try:
        if isinstance(key, rsa.RSAPublicKey) and isinstance(params, (padding.PKCS1v15, padding.PSS)) and digest:
            key.verify(signature, data, params, digest)
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(params, ec.ECDSA):
            key.verify(signature, data, params)
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(signature, data)
        elif isinstance(key, dsa.DSAPublicKey) and digest:
            key.verify(signature, data, digest)
        else:
            return None
    except InvalidSignature:
        return "is self-signed but its signature does not verify: the file is damaged or forged"
    except (UnsupportedAlgorithm, ValueError):
        return None  # cryptography cannot check this algorithm: no evidence either way
    return None


def _weak_key(key: PublicKey) -> str | None:
    if isinstance(key, (rsa.RSAPublicKey, dsa.DSAPublicKey)) and key.key_size < MIN_RSA_BITS:
        kind = "RSA" if isinstance(key, rsa.RSAPublicKey) else "DSA"
        return (
            f"has a {key.key_size}-bit {kind} key; at least {MIN_RSA_BITS} bits are required "
            "(OpenSSL refuses keys under about 1960 bits in handshakes; catrust asks for the standard minimum)"
        )
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < MIN_EC_BITS:
        return f"has a {key.curve.key_size}-bit elliptic-curve key; at least {MIN_EC_BITS} bits are required"
    return None


def _get(ext: x509.Extensions, kind: type[_E]) -> x509.Extension[_E] | None:
    try:
        return ext.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def _oid_name(oid: x509.ObjectIdentifier) -> str:
    name = getattr(oid, "_name", "Unknown OID")
    return oid.dotted_string if name == "Unknown OID" else f"{name}, {oid.dotted_string}"


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")
