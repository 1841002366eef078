"""Which certificates a file holds: PEM in all its real-world shapes, DER, and the hostile cases."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from catrust import TrustStore
from catrust._trust.parse import KEY_REASON, parse
from tests.support.certkit import CA, der, key_pem, new_key
from tests.support.hostilecerts import version_2


def load(ca_dir: Path) -> TrustStore:
    return TrustStore.load(str(ca_dir), system="none")


def test_many_blocks_with_text_between(ca_dir: Path) -> None:
    a, b, c = CA("a"), CA("b"), CA("c")
    (ca_dir / "bundle.pem").write_bytes(
        b"Corporate roots, see wiki\n" + a.cert_pem + b"\nsubject=CN = b\n" + b.cert_pem + b"# end\n" + c.cert_pem
    )
    store = load(ca_dir)
    assert [cert.block for cert in store.custom] == [1, 2, 3]
    assert store.rejected == ()


def test_crlf_and_bom(ca_dir: Path) -> None:
    (ca_dir / "windows.pem").write_bytes(b"\xef\xbb\xbf" + CA().cert_pem.replace(b"\n", b"\r\n"))
    assert len(load(ca_dir).custom) == 1


def test_single_der_certificate(ca_dir: Path) -> None:
    ca = CA()
    (ca_dir / "root.cer").write_bytes(der(ca.cert))
    store = load(ca_dir)
    assert store.custom[0].der == der(ca.cert) and store.custom[0].block == 1


def test_a_stray_end_line_after_a_block_does_not_change_the_block(ca_dir: Path) -> None:
    """The block ends at its first END line; a second one (a careless merge) is text between blocks."""
    first, second = CA("first"), CA("second")
    stray = first.cert_pem + b"-----END CERTIFICATE-----\n" + second.cert_pem
    (ca_dir / "merged.pem").write_bytes(stray)
    store = load(ca_dir)
    assert store.rejected == () and [c.subject for c in store.custom] == [
        "CN=first,O=catrust tests",
        "CN=second,O=catrust tests",
    ]


def test_a_der_file_cryptography_cannot_read_says_why(ca_dir: Path) -> None:
    (ca_dir / "v2.der").write_bytes(version_2())
    assert [r.reason for r in load(ca_dir).rejected] == [
        "looks like DER but is not a readable certificate (InvalidVersion: 1 is not a valid X509 version)"
    ]


def test_truncated_final_block_rejects_the_whole_file(ca_dir: Path) -> None:
    whole = CA("a").cert_pem + CA("b").cert_pem
    (ca_dir / "cut.pem").write_bytes(whole[: len(whole) - 40])  # END line of the last block is gone
    store = load(ca_dir)
    assert store.custom == ()
    assert store.rejected[0].reason == (
        "its CERTIFICATE block has no matching END line: the file is cut short or damaged, so nothing from it was used"
    )
    assert store.rejected[0].block == 2


def test_corrupt_block_is_reported_and_the_others_count(ca_dir: Path) -> None:
    good = CA("good").cert_pem
    bad = CA("bad").cert_pem.replace(b"\n", b"\n!", 3)
    (ca_dir / "mixed.pem").write_bytes(good + bad)
    store = load(ca_dir)
    assert len(store.custom) == 1
    assert store.rejected[0].block == 2 and store.rejected[0].reason.startswith("is not valid PEM (")


def test_private_key_is_ignored_reported_and_never_output(
    ca_dir: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = CA()
    key_block = key_pem(ca.key)
    (ca_dir / "tls.pem").write_bytes(ca.cert_pem + key_block)
    caplog.set_level(logging.DEBUG, logger="catrust")
    store = load(ca_dir)
    assert len(store.custom) == 1
    assert store.rejected[0].reason == "holds a private key, which was ignored: keep keys out of the trust folder"
    secret = b"".join(key_block.splitlines()[1:-1]).decode()[:40]
    assert secret not in store.pem()
    assert secret[:40] not in caplog.text and "PRIVATE KEY" not in store.pem()
    assert secret not in json.dumps([r.__dict__ for r in store.rejected])


@pytest.mark.parametrize(
    "label, reason",
    [
        ("CERTIFICATE REQUEST", "is a certificate signing request, not a certificate: add the CA certificate instead"),
        (
            "NEW CERTIFICATE REQUEST",
            "is a certificate signing request, not a certificate: add the CA certificate instead",
        ),
        ("X509 CRL", "is a certificate revocation list, which catrust does not use"),
        (
            "TRUSTED CERTIFICATE",
            "is in OpenSSL's TRUSTED CERTIFICATE format, which Python's ssl cannot load: "
            "convert it with `openssl x509 -in FILE -out ca.pem`",
        ),
        ("PUBLIC KEY", "is a bare public key; a trust anchor must be a certificate"),
        ("RSA PUBLIC KEY", "is a bare public key; a trust anchor must be a certificate"),
        ("ENCRYPTED PRIVATE KEY", "holds a private key, which was ignored: keep keys out of the trust folder"),
        ("EC PRIVATE KEY", "holds a private key, which was ignored: keep keys out of the trust folder"),
        ("PKCS7", "is a PKCS7 block, not a certificate"),
        ("PUBLIC KEY INFO", "is a PUBLIC KEY INFO block, not a certificate"),  # ends like a key, is not one
    ],
)
def test_other_blocks_are_reported_by_kind(ca_dir: Path, label: str, reason: str) -> None:
    (ca_dir / "other.pem").write_bytes(f"-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n".encode())
    assert [r.reason for r in load(ca_dir).rejected] == [reason]


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (b"\xef\xbb\xbf\n", "is empty"),
        (b"hello, I am a text file", "holds no PEM certificate block and is not a DER certificate"),
        (b"\x30\x82\x01\x00garbage", "looks like DER but is not a readable certificate ("),
    ],
)
def test_garbage(ca_dir: Path, content: bytes, reason: str) -> None:
    (ca_dir / "junk").write_bytes(content)
    (rejection,) = load(ca_dir).rejected
    assert rejection.reason.startswith(reason) and rejection.block is None


def test_der_private_key_is_recognised(ca_dir: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    key = new_key("ec").private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (ca_dir / "key.der").write_bytes(key)
    assert [r.reason for r in load(ca_dir).rejected] == [KEY_REASON]


def test_block_numbers_count_every_block() -> None:
    ca = CA()
    parsed = parse("f", key_pem(ca.key) + ca.cert_pem)
    assert [b.number for b in parsed.blocks] == [2]
    assert parsed.rejected[0].block == 1


def test_a_file_of_thousands_of_odd_blocks_is_reported_in_a_few_lines(ca_dir: Path) -> None:
    (ca_dir / "noise.pem").write_bytes(b"-----BEGIN X-----\nAA==\n-----END X-----\n" * 5000 + CA().cert_pem)
    store = load(ca_dir)
    assert len(store.custom) == 1
    assert [(r.block, r.reason) for r in store.rejected] == [
        (None, "holds 4980 more blocks that are not certificates (not listed)"),
        *((n, "is a X block, not a certificate") for n in range(1, 21)),
    ]


def test_a_block_cut_short_in_the_middle_rejects_the_whole_file(ca_dir: Path) -> None:
    """Not only a cut last block: a middle one without its END line must not let the later blocks count."""
    middle = CA("b").cert_pem
    cut = middle[: middle.index(b"-----END")]
    (ca_dir / "cut.pem").write_bytes(CA("a").cert_pem + cut + CA("c").cert_pem)
    store = load(ca_dir)
    assert store.custom == () and len(store.rejected) == 1
    assert "no matching END line" in store.rejected[0].reason and store.rejected[0].block == 2


def test_the_x509_certificate_label_is_a_certificate_too(ca_dir: Path) -> None:
    (ca_dir / "old.pem").write_bytes(CA("old label").cert_pem.replace(b" CERTIFICATE-----", b" X509 CERTIFICATE-----"))
    store = load(ca_dir)
    assert store.rejected == () and [c.subject for c in store.custom] == ["CN=old label,O=catrust tests"]


def test_pem_headers_in_a_certificate_block_are_refused(ca_dir: Path) -> None:
    """A header line (Proc-Type) has no place in a certificate block: that block is refused, the next counts."""
    first, rest = CA().cert_pem.split(b"\n", 1)
    (ca_dir / "headers.pem").write_bytes(first + b"\nProc-Type: 4,ENCRYPTED\n\n" + rest + CA("second").cert_pem)
    store = load(ca_dir)
    assert [(r.block, r.reason) for r in store.rejected] == [
        (1, "is not valid PEM (PEM headers are not allowed in a certificate block)")
    ]
    assert [c.block for c in store.custom] == [2]


def test_an_encrypted_der_private_key_is_recognised_as_a_key(ca_dir: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    key = new_key("ec").private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    (ca_dir / "key.der").write_bytes(key)
    assert [r.reason for r in load(ca_dir).rejected] == [KEY_REASON]
