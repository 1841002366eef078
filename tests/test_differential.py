"""OpenSSL is the judge: each policy rule next to real handshakes with the same certificate.

For every crafted certificate the test asks catrust for its verdict, then asks OpenSSL directly
(a plain context trusting only that certificate, partial chains on, as catrust's contexts are)
whether it verifies a server it issued, and a client it issued (mutual TLS). The verdict must
agree: accepted exactly when OpenSSL lets it anchor at least one of the two, with a warning naming
the one it cannot, and rejected when it anchors neither.
"""

from __future__ import annotations

import re
import ssl
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519, padding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from catrust import TrustStore
from tests.support.certkit import CA, NOW, Leaf, der, new_key
from tests.support.derkit import as_version, resign, split, tlv
from tests.support.mtlsserver import connect, mtls_server
from tests.support.tlsserver import handshake, tls_server

Extra = Sequence[tuple[x509.ExtensionType, bool]]
_OID = x509.ObjectIdentifier


def issuer(
    extra: Extra = (),
    *,
    subject: str = "differential root",
    issuer_name: str | None = None,
    key_cert_sign: bool | None = True,
    ca: bool | None = True,
) -> CA:
    """A self-signed certificate with the given extensions, and the key that issues under it."""
    key = new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name or subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=300))
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if key_cert_sign is not None:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=key_cert_sign,
                crl_sign=key_cert_sign,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if extra or ca is not None:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    for ext, critical in extra:
        builder = builder.add_extension(ext, critical=critical)
    holder = CA.__new__(CA)
    holder.key, holder.parent, holder.name = key, None, name
    holder.cert = builder.sign(key, hashes.SHA256())
    return holder


@dataclass(frozen=True)
class Judged:
    accepted: bool
    text: str  # the reason, or the warnings joined


def verdict(folder: Path, cert_der: bytes) -> Judged:
    (folder / "ca.der").write_bytes(cert_der)
    store = TrustStore.load(str(folder), system="none")
    if store.rejected:
        return Judged(False, store.rejected[0].reason)
    return Judged(True, " | ".join(store.custom[0].warnings))


def openssl_anchor(cert_der: bytes, protocol: int) -> ssl.SSLContext:
    ctx = ssl.SSLContext(protocol)
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=cert_der)
    return ctx


def verifies_server(cert_der: bytes, leaf: Leaf) -> bool:
    with tls_server(leaf) as port:
        try:
            handshake(openssl_anchor(cert_der, ssl.PROTOCOL_TLS_CLIENT), port)
        except ssl.SSLCertVerificationError:
            return False
    return True


def verifies_client(cert_der: bytes, leaf: Leaf) -> bool:
    """A mutual-TLS server trusting only `cert_der`, and a client presenting `leaf`."""
    server = openssl_anchor(cert_der, ssl.PROTOCOL_TLS_SERVER)
    served = CA("server side").issue()
    with tempfile.TemporaryDirectory() as tmp:
        chain, key = Path(tmp, "c.pem"), Path(tmp, "k.pem")
        chain.write_bytes(served.chain_pem)
        key.write_bytes(served.key_pem)
        server.load_cert_chain(chain, key)
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname, client.verify_mode = False, ssl.CERT_NONE  # only the server's check is under test
        chain.write_bytes(leaf.chain_pem)
        key.write_bytes(leaf.key_pem)
        client.load_cert_chain(chain, key)
    with mtls_server(server) as port:
        try:
            connect(client, port)
        except (ssl.SSLError, ConnectionError, OSError):
            return False
    return True


def agree(folder: Path, holder: CA, cert_der: bytes | None = None) -> Judged:
    """The verdict, asserted to agree with what OpenSSL does with the certificate as an anchor."""
    cert_der = cert_der or der(holder.cert)
    judged = verdict(folder, cert_der)
    leaf = holder.issue()
    server, client = verifies_server(cert_der, leaf), verifies_client(cert_der, leaf)
    assert judged.accepted == (server or client), (judged, server, client)
    if judged.accepted:
        assert ("lacks serverAuth" in judged.text) == (not server), judged
        assert ("lacks clientAuth" in judged.text) == (not client), judged
    return judged


def eku(*oids: x509.ObjectIdentifier) -> tuple[x509.ExtensionType, bool]:
    return (x509.ExtendedKeyUsage(list(oids)), False)


LACKS_CLIENT = (
    "its extended key usage lacks clientAuth: it verifies servers, but OpenSSL refuses the client certificates "
    "it issues (mutual TLS)"
)
LACKS_SERVER = (
    "its extended key usage lacks serverAuth: OpenSSL refuses the server certificates it issues, so it can only "
    "verify TLS clients (mutual TLS)"
)
NEITHER = (
    "is a CA whose extended key usage allows neither serverAuth nor clientAuth, so OpenSSL refuses every TLS "
    "certificate it issues (anyExtendedKeyUsage does not count)"
)
EKU_CASES = {
    "serverAuth and clientAuth": ([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH], True, ""),
    "serverAuth only": ([ExtendedKeyUsageOID.SERVER_AUTH], True, LACKS_CLIENT),
    "clientAuth only": ([ExtendedKeyUsageOID.CLIENT_AUTH], True, LACKS_SERVER),
    "clientAuth, then serverAuth": ([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH], True, ""),
    "Netscape server gated crypto": ([_OID("2.16.840.1.113730.4.1"), ExtendedKeyUsageOID.CLIENT_AUTH], True, ""),
    "Microsoft server gated crypto": ([_OID("1.3.6.1.4.1.311.10.3.3")], True, LACKS_CLIENT),
    "anyExtendedKeyUsage only": ([ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE], False, NEITHER),
    "codeSigning only": ([ExtendedKeyUsageOID.CODE_SIGNING], False, NEITHER),
}


@pytest.mark.parametrize("case", EKU_CASES)
def test_a_cas_extended_key_usage(ca_dir: Path, case: str) -> None:
    oids, accepted, text = EKU_CASES[case]
    assert agree(ca_dir, issuer([eku(*oids)])) == Judged(accepted, text)


# Each extension, marked critical: None where OpenSSL handles it, else how the refusal names it.
CRITICAL_CASES: dict[str, tuple[x509.ExtensionType, str | None]] = {
    "an unknown OID": (x509.UnrecognizedExtension(_OID("1.3.6.1.4.1.55555.1"), b"\x05\x00"), "1.3.6.1.4.1.55555.1"),
    "TLS Feature": (x509.TLSFeature([x509.TLSFeatureType.status_request]), "TLSFeature, 1.3.6.1.5.5.7.1.24"),
    "Authority Information Access": (
        x509.AuthorityInformationAccess(
            [
                x509.AccessDescription(
                    x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                    x509.UniformResourceIdentifier("http://ca/ca.crt"),
                )
            ]
        ),
        "authorityInfoAccess, 1.3.6.1.5.5.7.1.1",
    ),
    "Issuer Alternative Name": (x509.IssuerAlternativeName([x509.DNSName("ca.example")]), "issuerAltName, 2.5.29.18"),
    "certificate policies": (x509.CertificatePolicies([x509.PolicyInformation(_OID("2.5.29.32.0"), None)]), None),
    "name constraints": (x509.NameConstraints([x509.DNSName("localhost")], None), None),
    "inhibit anyPolicy": (x509.InhibitAnyPolicy(0), None),
    "CRL distribution points": (
        x509.CRLDistributionPoints(
            [x509.DistributionPoint([x509.UniformResourceIdentifier("http://ca/ca.crl")], None, None, None)]
        ),
        None,
    ),
}


@pytest.mark.parametrize("case", CRITICAL_CASES)
def test_a_critical_extension_is_accepted_only_where_openssl_handles_it(ca_dir: Path, case: str) -> None:
    extension, named = CRITICAL_CASES[case]
    refusal = (
        f"has a critical extension OpenSSL does not handle ({named}), so OpenSSL refuses every certificate chain "
        "through it"
    )
    assert agree(ca_dir, issuer([(extension, True)])) == (Judged(True, "") if named is None else Judged(False, refusal))


def test_the_same_extensions_not_critical_are_fine(ca_dir: Path) -> None:
    extensions = [(e, False) for e, named in CRITICAL_CASES.values() if named is not None]
    assert agree(ca_dir, issuer(extensions)) == Judged(True, "")


def test_a_leaf_is_a_pin_that_verifies_itself_and_issues_nothing(ca_dir: Path) -> None:
    """Go's pool (so KEDA) trusts a server certificate dropped in the folder as an exact pin."""
    real_ca = CA("issuer of the pinned server")
    server = real_ca.issue()
    judged = verdict(ca_dir, der(server.cert))
    assert judged.accepted and "pin for exactly this certificate" in judged.text
    catrust_ctx = TrustStore.load(str(ca_dir), system="none").ssl_context()
    with tls_server(server) as port:
        handshake(catrust_ctx, port)  # the pinned certificate itself
    signed_by_pin = CA.__new__(CA)
    signed_by_pin.key, signed_by_pin.parent, signed_by_pin.name = server.key, None, server.cert.subject
    for other in (real_ca.issue(), signed_by_pin.issue("anything.example")):  # renewed; issued by the pin
        with tls_server(other) as port, pytest.raises(ssl.SSLCertVerificationError):
            handshake(catrust_ctx, port, "localhost" if other.cert.issuer == real_ca.name else "anything.example")


NS_TYPE = _OID("2.16.840.1.113730.1.1")


NO_BASIC_CONSTRAINTS = (
    "can sign certificates (keyUsage keyCertSign or a Netscape certificate type) but has no basicConstraints, so "
    "OpenSSL treats it as a CA though it does not say it is one: re-issue it with basicConstraints (CA:TRUE for a "
    "CA, CA:FALSE for a server certificate)"
)
UNREADABLE_NS = (
    "has a Netscape certificate type extension in an encoding catrust cannot read exactly as OpenSSL does, so "
    "whether OpenSSL treats it as a CA is unknown"
)


@pytest.mark.parametrize(
    "encoding, words",
    [
        (bytes.fromhex("03020004"), NO_BASIC_CONSTRAINTS),  # DER, sslCA: OpenSSL's CA without basicConstraints
        (bytes.fromhex("0381020004"), UNREADABLE_NS),  # long-form length: legal BER
        (bytes.fromhex("2306030200040000"), UNREADABLE_NS),  # constructed BIT STRING
        (bytes.fromhex("03030004"), UNREADABLE_NS),  # a length longer than what follows
        (bytes.fromhex("03020804"), UNREADABLE_NS),  # 8 unused bits: more than a byte has
        (bytes.fromhex("038000") + bytes(127), UNREADABLE_NS),  # 0x80: BER's indefinite length
        (bytes.fromhex("0302"), UNREADABLE_NS),  # no room for the unused-bits byte
    ],
    ids=["der-ca", "long-length", "constructed", "length-too-long", "unused-8", "indefinite", "too-short"],
)
def test_a_netscape_type_is_read_only_in_plain_der(ca_dir: Path, encoding: bytes, words: str) -> None:
    """OpenSSL reads BER here: a misread sslCA bit would make a certificate catrust calls a server
    certificate issue for any host name. Only plain DER is read; the rest is rejected, never guessed."""
    holder = issuer([(x509.UnrecognizedExtension(NS_TYPE, encoding), False)], ca=None, key_cert_sign=None)
    assert verdict(ca_dir, der(holder.cert)) == Judged(False, words)


def test_a_certificate_with_the_same_extension_twice_is_malformed(ca_dir: Path) -> None:
    """RFC 5280 allows each extension once; which copy OpenSSL would read is not catrust's to guess."""
    placeholder = x509.UnrecognizedExtension(_OID("2.5.29.99"), b"\x04\x14" + bytes(20))  # as long as an SKI
    holder = issuer([(placeholder, False)])
    twice = resign(
        der(holder.cert), holder.key, lambda tbs: tbs.replace(bytes.fromhex("0603551d63"), bytes.fromhex("0603551d0e"))
    )
    judged = verdict(ca_dir, twice)
    assert not judged.accepted and judged.text.startswith("has malformed extensions (") and "2.5.29.14" in judged.text


def test_an_empty_netscape_type_is_read_as_no_usage_at_all(ca_dir: Path) -> None:
    """Three bytes, no bits: neither a CA nor an SSL server to OpenSSL, so a self-signed one verifies nothing."""
    holder = issuer(
        [(x509.UnrecognizedExtension(NS_TYPE, bytes.fromhex("030100")), False)], ca=None, key_cert_sign=None
    )
    assert agree(ca_dir, holder) == Judged(
        False,
        "is not a CA, and OpenSSL refuses it as a TLS server certificate (its Netscape certificate type does not "
        "include SSL server), so trusting it would verify nothing",
    )


def _v1(subject: str, issuer_name: str) -> CA:
    holder = issuer(subject=subject, issuer_name=issuer_name, ca=None, key_cert_sign=None)
    holder.cert = x509.load_der_x509_certificate(as_version(der(holder.cert), holder.key, 1))
    return holder


@pytest.mark.parametrize("subject, issuer_name", [("Legacy Root", "Legacy Root"), ("Legacy  Root", "legacy root")])
def test_a_v1_root_is_a_ca_when_openssl_calls_it_self_issued(ca_dir: Path, subject: str, issuer_name: str) -> None:
    """OpenSSL compares names ignoring ASCII case and extra spaces: both are self-issued v1 roots to it."""
    holder = _v1(subject, issuer_name)
    assert holder.cert.version == x509.Version.v1
    judged = agree(ca_dir, holder)
    assert judged.accepted and "X.509 v1" in judged.text


def test_a_v1_certificate_catrust_cannot_confirm_as_self_signed_is_rejected(ca_dir: Path) -> None:
    """OpenSSL makes a v1 certificate a CA when it finds it self-signed by its own reading (key
    identifiers, algorithms, T61 names): catrust never guesses "pin" for one."""
    holder = _v1("Legacy Server", "Some Other CA")
    assert verdict(ca_dir, der(holder.cert)) == Judged(
        False,
        "is an X.509 v1 certificate that catrust cannot confirm is self-signed, and OpenSSL may treat it as a CA "
        "that can issue for any host: re-issue it as X.509 v3 with basicConstraints",
    )


def test_a_v1_certificate_with_extensions_is_malformed(ca_dir: Path) -> None:
    holder = CA("v1 with extensions")
    v1 = as_version(der(holder.cert), holder.key, 1)
    assert verdict(ca_dir, v1) == Judged(
        False, "is an X.509 v1 certificate carrying extensions, which v1 does not allow: it is malformed"
    )


def test_a_v1_root_whose_outer_algorithm_differs_is_rejected_though_openssl_lets_it_issue(ca_dir: Path) -> None:
    """Found in review: catrust read the outer signature algorithm, OpenSSL the inner one, so catrust
    called this a pin while OpenSSL let it issue for any host name."""
    holder = _v1("Evil Pin", "Evil Pin")
    tbs, _, signature = split(der(holder.cert))
    sha256_rsa = bytes.fromhex("300d06092a864886f70d01010b0500")  # the key is EC: OpenSSL reads the inner one
    patched = tlv(0x30, tbs + sha256_rsa + signature)
    judged = verdict(ca_dir, patched)
    assert not judged.accepted
    assert verifies_server(patched, holder.issue())  # what calling it a pin would have handed out


PROXY = x509.UnrecognizedExtension(_OID("1.3.6.1.5.5.7.1.14"), bytes.fromhex("3008300606042b060115"))


@pytest.mark.parametrize("critical", [True, False])
def test_a_proxy_certificate_is_rejected_as_openssl_refuses_it(ca_dir: Path, critical: bool) -> None:
    assert agree(ca_dir, issuer([(PROXY, critical)])) == Judged(
        False,
        "is a proxy certificate (proxyCertInfo): Python's ssl never allows them, so OpenSSL refuses every chain "
        "through it",
    )


def test_a_server_context_is_what_verifies_clients(ca_dir: Path) -> None:
    """The client half of the harness itself can fail: a CA that issued nothing the client shows."""
    stranger = issuer()
    assert not verifies_client(der(stranger.cert), CA("another").issue())
    assert verifies_client(der(stranger.cert), stranger.issue())


def _key_usage(**allowed: bool) -> x509.KeyUsage:
    flags = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    return x509.KeyUsage(**{**flags, **allowed})


# Each end-entity anchor, with what OpenSSL's server purpose refuses in it (None: nothing).
END_ENTITY_CASES: dict[str, tuple[Extra, str | None]] = {
    "no restriction": ([], None),
    "serverAuth": ([eku(ExtendedKeyUsageOID.SERVER_AUTH)], None),
    "codeSigning and serverAuth": ([eku(ExtendedKeyUsageOID.CODE_SIGNING, ExtendedKeyUsageOID.SERVER_AUTH)], None),
    "clientAuth only": ([eku(ExtendedKeyUsageOID.CLIENT_AUTH)], "its extended key usage lacks serverAuth"),
    "digitalSignature": ([(_key_usage(digital_signature=True), True)], None),
    "keyEncipherment only": ([(_key_usage(key_encipherment=True), True)], None),
    "keyAgreement only": ([(_key_usage(key_agreement=True), True)], None),
    "dataEncipherment only": (
        [(_key_usage(data_encipherment=True), True)],
        "its keyUsage allows none of digitalSignature, keyEncipherment, keyAgreement",
    ),
    "Netscape SSL server": ([(x509.UnrecognizedExtension(NS_TYPE, bytes.fromhex("03020640")), False)], None),
    "Netscape SSL client only": (
        [(x509.UnrecognizedExtension(NS_TYPE, bytes.fromhex("03020780")), False)],
        "its Netscape certificate type does not include SSL server",
    ),
}


@pytest.mark.parametrize("self_signed", [True, False], ids=["self-signed", "pin"])
@pytest.mark.parametrize("case", END_ENTITY_CASES)
def test_an_end_entity_anchor_is_accepted_exactly_when_openssl_takes_it_as_a_server(
    ca_dir: Path, case: str, self_signed: bool
) -> None:
    """A pin or a self-signed server certificate only ever verifies itself, as a TLS server: OpenSSL's
    server purpose (extended key usage, keyUsage, Netscape type) decides whether even that works."""
    key = new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    signer = key if self_signed else CA("issuer of a pin").key
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name if self_signed else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "elsewhere")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
    )
    extensions, refused = END_ENTITY_CASES[case]
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    cert = builder.sign(signer, hashes.SHA256())
    judged = verdict(ca_dir, der(cert))
    served = Leaf(cert, key, [cert])
    assert judged.accepted == verifies_server(der(cert), served), judged
    if refused is not None:
        assert judged == Judged(
            False,
            f"is not a CA, and OpenSSL refuses it as a TLS server certificate ({refused}), so trusting it would "
            "verify nothing",
        )
    else:
        assert judged.accepted and ("pin for exactly" in judged.text) != self_signed


@pytest.mark.parametrize(
    "oid, value",
    [
        ("2.5.29.19", "3081030101ff"),  # basicConstraints CA:TRUE, long-form length
        ("2.5.29.19", "3003010100"),  # CA:FALSE written out (DER leaves a default out)
        ("2.5.29.19", "3003010101"),  # TRUE as 0x01 (BER; DER says 0xff)
        ("2.5.29.15", "0381020204"),  # keyUsage keyCertSign, long-form length
        ("2.5.29.15", "230403020204"),  # keyUsage as a constructed BIT STRING
        ("2.5.29.15", "03020205"),  # keyUsage with a padding bit set
        ("2.5.29.37", "30810a06082b06010505070301"),  # extended key usage serverAuth, long-form length
    ],
    ids=["bc-long", "bc-default", "bc-true-01", "ku-long", "ku-constructed", "ku-padding", "eku-long"],
)
def test_ber_forms_of_the_extensions_that_decide_ca_ness_are_rejected_never_guessed(
    ca_dir: Path, oid: str, value: str
) -> None:
    """OpenSSL reads these BER forms (some as a CA); catrust reads only DER, so it refuses them."""
    holder = issuer([(x509.UnrecognizedExtension(_OID(oid), bytes.fromhex(value)), True)], ca=None, key_cert_sign=None)
    judged = verdict(ca_dir, der(holder.cert))
    assert not judged.accepted
    assert re.fullmatch(
        r"has content catrust cannot read exactly as OpenSSL does \(.+\), so it is not trusted", judged.text
    )


# Each verdict the policy gives for dates and key strength, next to what OpenSSL does with the same CA as an anchor.
EXPIRED, NOT_YET, SOON = NOW - timedelta(days=400), NOW + timedelta(days=10), NOW + timedelta(days=10, hours=1)
TOO_SHORT = (
    "bits are required (OpenSSL refuses keys under about 1960 bits in handshakes; "
    "catrust asks for the standard minimum)"
)
STRENGTH_AND_DATES = {
    "expired": (dict(not_before=NOW - timedelta(days=800), not_after=EXPIRED), f"expired on {EXPIRED:%Y-%m-%d}"),
    "not yet valid": (dict(not_before=NOT_YET), f"is not valid until {NOT_YET:%Y-%m-%d}"),
    "expiring soon": (dict(not_after=SOON), f"expires on {SOON:%Y-%m-%d}, in 10 days"),
    "RSA 1024": (dict(key="rsa", bits=1024), f"has a 1024-bit RSA key; at least 2048 {TOO_SHORT}"),
    "RSA 2048": (dict(key="rsa", bits=2048), ""),
    "DSA 1024": (dict(key="dsa", bits=1024), f"has a 1024-bit DSA key; at least 2048 {TOO_SHORT}"),
    "DSA 2048": (dict(key="dsa", bits=2048), ""),
    "EC P-192": (dict(key="ec-192"), "has a 192-bit elliptic-curve key; at least 224 bits are required"),
    "EC P-224": (dict(key="ec-224"), ""),
    "EC P-384": (dict(key="ec-384"), ""),
}


@pytest.mark.parametrize("case", sorted(STRENGTH_AND_DATES))
def test_dates_and_key_sizes_are_judged_as_openssl_judges_them(ca_dir: Path, case: str) -> None:
    knobs, text = STRENGTH_AND_DATES[case]
    judged = agree(ca_dir, CA(f"{case} root", **knobs))  # type: ignore[arg-type]
    assert judged == Judged(not text.startswith(("expired", "is not valid", "has a")), text)


def test_an_rsa_key_just_under_2048_bits_is_refused_though_openssl_takes_it(ca_dir: Path) -> None:
    """OpenSSL 3.0's level 2 computes RSA strength by a formula that rounds 1963-2047 bits up to 112:
    catrust keeps the standard minimum there, on purpose, and says so."""
    for bits, openssl_takes_it in ((1962, False), (1963, True), (2047, True)):
        holder = CA(f"RSA {bits} root", key="rsa", bits=bits)
        assert verifies_server(der(holder.cert), holder.issue()) == openssl_takes_it, bits
        assert verdict(ca_dir, der(holder.cert)) == Judged(
            False, f"has a {bits}-bit RSA key; at least 2048 {TOO_SHORT}"
        )


@pytest.mark.parametrize("identifiers", [False, True])
def test_a_forged_self_signature_is_refused_where_openssl_would_not_look(ca_dir: Path, identifiers: bool) -> None:
    """OpenSSL never checks an anchor's own signature, so it would take a damaged or forged root: the one rule
    where catrust is stricter than OpenSSL on purpose. Matching key identifiers must not skip the check."""
    holder = CA("forged root")
    public = holder.key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(holder.name)
        .issuer_name(holder.name)
        .public_key(public)
        .serial_number(7)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=300))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    if identifiers:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
    forged = der(builder.sign(new_key(), hashes.SHA256()))
    assert verdict(ca_dir, forged) == Judged(
        False, "is self-signed but its signature does not verify: the file is damaged or forged"
    )
    assert verifies_server(forged, holder.issue())  # OpenSSL would have trusted it


def _self_signed(
    key: Any, name: str, signer: Any, *, aki: x509.AuthorityKeyIdentifier | None = None, **sign: Any
) -> CA:
    """A CA certificate for `key`, named `name`, signed by `signer` (the same key for a genuine one)."""
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .public_key(public)
        .serial_number(4242)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=300))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(_key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True)
    )
    if aki is not None:
        builder = builder.add_extension(aki, critical=False)
    holder = CA.__new__(CA)
    holder.key, holder.parent, holder.name = key, None, builder._subject_name  # type: ignore[attr-defined]
    holder.cert = builder.sign(signer, **sign)
    return holder


FORGED = "is self-signed but its signature does not verify: the file is damaged or forged"
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
KINDS: dict[str, tuple[Callable[[], Any], dict[str, Any]]] = {
    "RSA PKCS#1 v1.5": (lambda: new_key("rsa"), {"algorithm": hashes.SHA256()}),
    "RSA-PSS": (lambda: new_key("rsa"), {"algorithm": hashes.SHA256(), "rsa_padding": PSS}),
    "ECDSA": (lambda: new_key("ec"), {"algorithm": hashes.SHA256()}),
    "DSA": (lambda: new_key("dsa"), {"algorithm": hashes.SHA256()}),
    "Ed25519": (ed25519.Ed25519PrivateKey.generate, {"algorithm": None}),
    "Ed448": (ed448.Ed448PrivateKey.generate, {"algorithm": None}),
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_forged_self_signature_is_caught_for_every_key_type(ca_dir: Path, kind: str) -> None:
    """Each algorithm verifies through its own call: a broken call must not pass for "cannot check"."""
    make, sign = KINDS[kind]
    key = make()
    genuine = _self_signed(key, f"{kind} root", key, **sign)
    forged = _self_signed(key, f"{kind} root", make(), **sign)
    assert verdict(ca_dir, der(genuine.cert)).accepted
    assert verdict(ca_dir, der(forged.cert)) == Judged(False, FORGED)
    if kind.startswith(("RSA", "ECDSA", "DSA")):  # CA.issue signs with SHA-256, which EdDSA keys refuse
        assert verifies_server(der(forged.cert), forged.issue())  # OpenSSL would have trusted it


def _aki(**fields: Any) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier(fields.get("key_identifier"), fields.get("issuer"), fields.get("serial"))


@pytest.mark.parametrize(
    "case, forged_is_caught",
    [
        ("key identifier that matches", True),
        ("key identifier of another key", False),
        ("serial number that matches", True),
        ("serial number of another certificate", False),
        ("issuer name that matches", True),
        ("issuer name of another CA", False),
    ],
)
def test_a_root_is_self_signed_only_when_its_authority_key_identifier_points_at_itself(
    ca_dir: Path, case: str, forged_is_caught: bool
) -> None:
    """OpenSSL's X509_check_akid: an AKI naming another key, serial or issuer makes a self-issued
    certificate not self-signed, so its signature is not its own to check. OpenSSL trusts the anchor
    either way; catrust refuses a forgery only where the certificate claims to sign itself."""
    key = new_key("ec")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "akid root")])
    other = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone else")])
    own_id = x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest
    aki = {
        "key identifier that matches": _aki(key_identifier=own_id),
        "key identifier of another key": _aki(key_identifier=b"\x01" * 20),
        "serial number that matches": _aki(issuer=[x509.DirectoryName(name)], serial=4242),
        "serial number of another certificate": _aki(issuer=[x509.DirectoryName(name)], serial=4243),
        "issuer name that matches": _aki(issuer=[x509.DirectoryName(name)], serial=4242),
        "issuer name of another CA": _aki(issuer=[x509.DirectoryName(other)], serial=4242),
    }[case]
    forged = _self_signed(key, "akid root", new_key("ec"), aki=aki, algorithm=hashes.SHA256())
    assert verifies_server(der(forged.cert), forged.issue())
    judged = verdict(ca_dir, der(forged.cert))
    assert judged == (Judged(False, FORGED) if forged_is_caught else Judged(True, ""))


def test_a_root_whose_signature_algorithm_does_not_fit_its_key_is_not_self_signed(ca_dir: Path) -> None:
    """A DSA key under an ECDSA signature: OpenSSL's check_sig_alg_match says not self-signed, so the
    signature is not the root's own to check, and OpenSSL trusts the anchor as any other."""
    holder = _self_signed(new_key("dsa"), "mismatched root", new_key("ec"), algorithm=hashes.SHA256())
    assert agree(ca_dir, holder) == Judged(True, "")
