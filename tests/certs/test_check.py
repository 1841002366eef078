"""What `inspect` finds in a component-certificate set, each problem in its exact words and at its exact moment."""

from __future__ import annotations

import ssl
import warnings
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from catrust._certs.check import Inspection, inspect, same_key
from catrust._certs.folder import CertFiles
from tests.support.certdirkit import BASE
from tests.support.certkit import CA, NOW, Leaf, key_pem, pem
from tests.support.hostilecerts import HOSTILE, WARNED

SUPPORTED = "it is damaged or in a form catrust does not support"


def inspected(now: datetime | None = None, **replaced: bytes | None) -> Inspection:
    """BASE (a valid set) with some files replaced, or removed when given None, inspected at `now`."""
    contents = {**BASE, **{name.replace("_", "."): data for name, data in replaced.items()}}
    files = CertFiles("/certs", "/certs", "plain", {k: v for k, v in contents.items() if v is not None}, True)
    return inspect(files, now or datetime.now(timezone.utc), ca_key=True)


def issued(ca: CA, *, usages: list[x509.ObjectIdentifier] | None = None, **dates: datetime) -> Leaf:
    """A leaf for svc.ns names with the given extended key usages (None: no extension at all)."""
    key = ca.issue().key
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "svc")]))
        .issuer_name(ca.name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dates.get("not_before", NOW - timedelta(days=1)))
        .not_valid_after(dates.get("not_after", NOW + timedelta(days=300)))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("svc")]), critical=False)
    )
    if usages is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    cert = builder.sign(ca.key, hashes.SHA256())
    return Leaf(cert, key, [cert, *ca.chain])


def own_set(ca: CA, leaf: Leaf, *extra: x509.Certificate) -> dict[str, bytes]:
    return {
        "ca_crt": ca.cert_pem,
        "ca_key": key_pem(ca.key),
        "tls_crt": pem(leaf.cert) + b"".join(pem(c) for c in extra),
        "tls_key": key_pem(leaf.key),
    }


def test_a_missing_certificate_and_the_problems_of_the_others_all_count() -> None:
    assert inspected(tls_crt=None).problems == {"tls.crt": ("tls.crt is missing",)}
    ca = CA("set ca")
    leaf = issued(ca, not_after=NOW + timedelta(days=2))
    checked = inspected(NOW + timedelta(days=3), **{**own_set(ca, leaf), "tls_crt": pem(leaf.cert) + key_pem(leaf.key)})
    assert checked.problems["tls.crt"] == (
        "tls.crt #2: holds a private key, which was ignored: keep keys out of the trust folder",
        f"tls.crt expired on {leaf.cert.not_valid_after_utc:%Y-%m-%d}",
    )


@pytest.mark.parametrize(
    "name, part, problem",
    [
        ("unknown key algorithm", "public key", "UnsupportedAlgorithm: Unknown key type: 1.2.840.10045.2.9"),
        ("TLS Feature with an unknown value", "extensions", "KeyError: 7"),
        (
            "unknown signature algorithm",
            "signature algorithm",
            "UnsupportedAlgorithm: Signature algorithm OID: 1.2.840.10045.4.3.9 not recognized",
        ),
    ],
)
def test_a_certificate_with_a_part_that_cannot_be_read_is_named_and_the_next_still_counts(
    name: str, part: str, problem: str
) -> None:
    odd = serialization.Encoding.PEM
    hostile = x509.load_der_x509_certificate(HOSTILE[name]()).public_bytes(odd)
    checked = inspected(ca_crt=hostile + BASE["ca.crt"], tls_crt=hostile + BASE["tls.crt"])
    expected = f"its {part} cannot be read ({problem}): {SUPPORTED}"
    assert checked.problems["ca.crt"] == (f"ca.crt #1: {expected}",)
    assert checked.problems["tls.crt"][0] == f"tls.crt #1: {expected}"
    assert len(checked.ca_certs) == 1 and len(checked.chain) == 1


@pytest.mark.parametrize("name", WARNED)
def test_deprecation_warnings_of_odd_certificates_stay_inside(name: str, recwarn: pytest.WarningsRecorder) -> None:
    """cryptography warns when it reads a serial number of zero (in the certificate or its AKI): nothing escapes."""
    hostile = ssl.DER_cert_to_PEM_cert(HOSTILE[name]()).encode()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checked = inspected(ca_crt=BASE["ca.crt"] + hostile)
    assert len(checked.ca_certs) == 2 and len(recwarn) == 0


def test_a_block_cryptography_cannot_load_is_named_and_the_next_still_counts() -> None:
    v2 = ssl.DER_cert_to_PEM_cert(HOSTILE["X.509 v2"]()).encode()
    checked = inspected(ca_crt=v2 + BASE["ca.crt"])
    assert checked.problems == {
        "ca.crt": ("ca.crt #1: is not a readable certificate (InvalidVersion: 1 is not a valid X509 version)",)
    }
    assert len(checked.ca_certs) == 1


def test_an_encrypted_key_is_named_with_what_catrust_needs() -> None:
    ca = CA("set ca")
    leaf = issued(ca, usages=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])
    encrypted = leaf.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    checked = inspected(**{**own_set(ca, leaf), "tls_key": encrypted})
    assert checked.problems == {"tls.key": ("tls.key is encrypted: catrust needs an unencrypted key",)}


def test_a_certificate_is_valid_from_its_first_moment_until_just_before_its_last() -> None:
    ca = CA("set ca")
    leaf = issued(ca, not_before=NOW + timedelta(days=1), not_after=NOW + timedelta(days=20))
    start, end = leaf.cert.not_valid_before_utc, leaf.cert.not_valid_after_utc  # whole seconds
    files = own_set(ca, leaf)
    assert inspected(start - timedelta(microseconds=1), **files).problems == {
        "tls.crt": (f"tls.crt is not valid until {start:%Y-%m-%d %H:%M} UTC",)
    }
    assert inspected(start, **files).problems == {}
    assert inspected(end - timedelta(microseconds=1), **files).problems == {}
    assert inspected(end, **files).problems == {"tls.crt": (f"tls.crt expired on {end:%Y-%m-%d}",)}


@pytest.mark.parametrize(
    "usages, problem",
    [
        (None, None),  # no extension: no restriction
        ([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH], None),
        ([ExtendedKeyUsageOID.SERVER_AUTH], "clientAuth"),
        ([ExtendedKeyUsageOID.CODE_SIGNING], "serverAuth and clientAuth"),
    ],
)
def test_mutual_tls_needs_both_usages(usages: list[x509.ObjectIdentifier] | None, problem: str | None) -> None:
    ca = CA("set ca")
    checked = inspected(**own_set(ca, issued(ca, usages=usages)))
    expected = f"tls.crt lacks the extended key usage {problem}: mutual TLS needs both serverAuth and clientAuth"
    assert checked.problems == ({"tls.crt": (expected,)} if problem else {})


def test_a_chain_climbs_only_through_its_own_unexpired_issuers() -> None:
    root = CA("set root")
    middle = CA("set intermediate", parent=root)
    leaf = issued(middle)
    files = {**own_set(root, leaf, middle.cert), "tls_key": key_pem(leaf.key)}
    assert inspected(**files).problems == {}
    stranger = issued(CA("someone else"))  # the set's CA signed something, but not this leaf's issuer
    sibling = issued(root)
    not_ours = inspected(**{**own_set(root, stranger, sibling.cert), "tls_key": key_pem(stranger.key)}).problems
    assert not_ours == {
        "tls.crt": ("tls.crt is not issued by a CA in ca.crt (its issuer: CN=someone else,O=catrust tests)",)
    }


def test_an_intermediate_counts_until_just_before_it_expires() -> None:
    root = CA("set root")
    middle = CA("set intermediate", parent=root, not_after=NOW + timedelta(days=10))
    leaf = issued(middle, not_after=NOW + timedelta(days=30))
    files = {**own_set(root, leaf, middle.cert), "tls_key": key_pem(leaf.key)}
    end = middle.cert.not_valid_after_utc
    assert inspected(end - timedelta(microseconds=1), **files).problems == {}
    assert inspected(end, **files).problems == {
        "tls.crt": ("tls.crt is not issued by a CA in ca.crt (its issuer: CN=set intermediate,O=catrust tests)",)
    }


def test_same_key_needs_the_same_name_and_the_same_key() -> None:
    ca = CA("one")
    renamed = (  # the same key under another name
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "two")]))
        .issuer_name(ca.name)
        .public_key(ca.key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .sign(ca.key, hashes.SHA256())
    )
    assert same_key(ca.cert, ca.cert)
    assert not same_key(ca.cert, renamed)
    assert not same_key(ca.cert, CA("one").cert)  # same name, another key
    assert not same_key(ca.cert, ca.issue().cert)  # another name and key
