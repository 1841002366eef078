"""Rotation rules, made deterministic by passing `now`: nothing here waits for a clock."""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import stat
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from catrust import (
    CatrustError,
    CertOptions,
    ConfigError,
    Rotation,
    ensure_cert_dir,
    service_dns_names,
)
from catrust._certs.check import inspect, issued_by, same_key
from catrust._certs.folder import publish, read
from tests.support.certdirkit import FAST, LEAF_DUE, NAMES, certs, generated, plain_copy, sha
from tests.support.certkit import key_pem, new_key

DAY = timedelta(days=1)


def folder_state(folder: Path) -> tuple[list[str], list[str], bytes]:
    return (
        [sha(c) for c in certs(folder / "ca.crt")],
        [sha(c) for c in certs(folder / "tls.crt")],
        (folder / "tls.key").read_bytes(),
    )


def test_service_names_are_keda_s() -> None:
    assert service_dns_names("keda-operator", "keda") == (
        "keda-operator",
        "keda-operator.keda",
        "keda-operator.keda.svc",
        "keda-operator.keda.svc.cluster.local",
    )
    assert service_dns_names("m", "n", "example.org")[-1] == "m.n.svc.example.org"


def test_generate_makes_a_complete_set_with_keda_shapes(tmp_path: Path) -> None:
    result = ensure_cert_dir(
        tmp_path / "certs", NAMES, options=replace(FAST, ca_common_name="KEDA", ca_organization="KEDAORG")
    )
    assert result.changed
    [ca] = certs(tmp_path / "certs" / "ca.crt")
    [leaf] = certs(tmp_path / "certs" / "tls.crt")
    assert ca.subject.rfc4514_string() == "CN=KEDA,O=KEDAORG" and issued_by(leaf, ca)
    assert 3649 <= (ca.not_valid_after_utc - ca.not_valid_before_utc).days <= 3650
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days == 365
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == list(NAMES)
    assert not inspect(read(str(tmp_path / "certs")), datetime.now(timezone.utc), dns_names=NAMES).problems


def test_rsa_is_the_default_key_type(tmp_path: Path) -> None:
    ensure_cert_dir(tmp_path / "certs", ["svc"])
    checked = inspect(read(str(tmp_path / "certs")), datetime.now(timezone.utc), ca_key=True)
    assert isinstance(checked.key, rsa.RSAPrivateKey) and checked.key.key_size == 2048
    assert isinstance(checked.ca_key, rsa.RSAPrivateKey)


def test_valid_certificates_are_left_alone(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    before = folder_state(folder), (folder / "..data").readlink()
    now = datetime.now(timezone.utc)
    for later in (now, now + 200 * DAY, now + 274 * DAY):  # 90 days left on day 275
        result = ensure_cert_dir(folder, NAMES, options=FAST, now=later)
        assert not result.changed, result.reasons
    assert (folder_state(folder), (folder / "..data").readlink()) == before


def test_the_certificate_is_renewed_within_90_days_of_expiry(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    (ca_before, leaf_before, key_before) = folder_state(folder)
    result = ensure_cert_dir(folder, NAMES, options=FAST, now=datetime.now(timezone.utc) + 280 * DAY)
    assert result.changed and "tls.crt expires on" in result.reasons[0] and "within 90 days" in result.reasons[0]
    ca_after, leaf_after, key_after = folder_state(folder)
    assert ca_after == ca_before and leaf_after != leaf_before and key_after != key_before


def test_new_names_get_a_new_certificate(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    result = ensure_cert_dir(folder, ["other.example"], options=FAST)
    assert result.changed and "wanted other.example" in result.reasons[0]
    result = ensure_cert_dir(folder, options=FAST)  # names default to the current certificate's
    assert not result.changed


def test_ca_rotation_overlaps_then_drops_the_old_ca(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    [old_ca] = certs(folder / "ca.crt")
    start = old_ca.not_valid_before_utc + timedelta(hours=1)

    rotated = start + 3400 * DAY  # 250 days left: within the 365-day CA look-ahead
    result = ensure_cert_dir(folder, NAMES, options=FAST, now=rotated)
    assert result.changed and "the old CA stays trusted" in result.reasons[0]
    new_ca, kept = certs(folder / "ca.crt")
    leaf, cross = certs(folder / "tls.crt")
    assert sha(kept) == sha(old_ca) and sha(new_ca) != sha(old_ca)
    assert issued_by(leaf, new_ca) and issued_by(cross, old_ca)
    assert same_key(cross, new_ca)
    assert cross.not_valid_after_utc == old_ca.not_valid_after_utc
    assert not inspect(read(str(folder)), rotated).problems

    after_old_expiry = old_ca.not_valid_after_utc + DAY
    result = ensure_cert_dir(folder, NAMES, options=FAST, now=after_old_expiry)
    assert result.changed and "ca.crt #2: expired" in result.reasons[0]
    assert [sha(c) for c in certs(folder / "ca.crt")] == [sha(new_ca)]
    assert [sha(c) for c in certs(folder / "tls.crt")] == [sha(leaf)]  # same certificate, cross dropped
    assert not ensure_cert_dir(folder, NAMES, options=FAST, now=after_old_expiry).changed


def test_a_leaf_renewed_during_the_overlap_keeps_the_cross_signed_ca(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    [old_ca] = certs(folder / "ca.crt")
    rotated = old_ca.not_valid_before_utc + 3400 * DAY
    ensure_cert_dir(folder, NAMES, options=FAST, now=rotated)
    _, cross = certs(folder / "tls.crt")
    result = ensure_cert_dir(folder, NAMES, options=replace(FAST, renew_within=400 * DAY), now=rotated + DAY)
    assert result.changed
    _, carried = certs(folder / "tls.crt")
    assert sha(carried) == sha(cross) and len(certs(folder / "ca.crt")) == 2


def test_an_expired_ca_is_replaced_without_overlap(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    [old_ca] = certs(folder / "ca.crt")
    result = ensure_cert_dir(folder, NAMES, options=FAST, now=old_ca.not_valid_after_utc + DAY)
    assert result.changed and "the CA expired" in result.reasons[0]
    [new_ca] = certs(folder / "ca.crt")
    assert sha(new_ca) != sha(old_ca) and len(certs(folder / "tls.crt")) == 1


def test_a_damaged_managed_key_gets_a_new_certificate(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    target = folder / (folder / "..data").readlink() / "tls.key"
    target.write_bytes(target.read_bytes()[:100])
    result = ensure_cert_dir(folder, NAMES, options=FAST)
    assert result.changed and "tls.key is not a readable PEM private key" in result.reasons[0]
    assert not inspect(read(str(folder)), datetime.now(timezone.utc)).problems


def test_a_damaged_ca_key_is_an_error_and_nothing_is_written(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    target = folder / (folder / "..data").readlink() / "ca.key"
    target.write_bytes(target.read_bytes()[:-60])
    before = folder_state(folder)
    with pytest.raises(
        CatrustError, match=r"cannot renew .*ca.key is not a readable PEM private key.*empty the folder"
    ):
        ensure_cert_dir(folder, NAMES, options=replace(FAST, renew_within=400 * DAY))
    assert folder_state(folder) == before


def test_names_are_needed_for_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no DNS names"):
        ensure_cert_dir(tmp_path / "certs", options=FAST)
    with pytest.raises(ConfigError, match=r"not a DNS name"):
        ensure_cert_dir(tmp_path / "certs", ["has space"], options=FAST)


class TestBringYourOwn:
    """Generation off: the files are checked, clearly, and never written."""

    def test_a_valid_set_passes(self, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
        byo = plain_copy(generated(tmp_path / "gen"), tmp_path / "byo")
        (byo / "ca.key").write_bytes(b"not used without generation")
        result = ensure_cert_dir(byo, NAMES, generate=False)
        assert not result.changed and "generation is off" in result.reasons[0]
        with caplog.at_level(logging.WARNING, logger="catrust"):
            late = ensure_cert_dir(byo, generate=False, now=datetime.now(timezone.utc) + 300 * DAY)
        assert "replace it soon" in late.reasons[-1] and "replace it soon" in caplog.text

    @pytest.mark.parametrize(
        "problem, words",
        [
            ("mismatched key", "tls.key does not match tls.crt"),
            ("truncated key", "tls.key is not a readable PEM private key"),
            ("truncated certificate", "tls.crt #1: its CERTIFICATE block has no matching END line"),
            ("other CA", "tls.crt is not issued by a CA in ca.crt"),
            ("missing ca.crt", "ca.crt is missing"),
            ("key in ca.crt", "ca.crt #2: holds a private key"),
            ("expired", "tls.crt expired on"),
            ("wrong names", "tls.crt does not name svc, svc.ns, svc.ns.svc,"),
        ],
    )
    def test_problems_are_named(self, tmp_path: Path, problem: str, words: str) -> None:
        byo = plain_copy(generated(tmp_path / "gen"), tmp_path / "byo")
        other = generated(tmp_path / "other")
        now = None
        if problem == "mismatched key":
            (byo / "tls.key").write_bytes((other / "tls.key").read_bytes())
        elif problem == "truncated key":
            (byo / "tls.key").write_bytes((byo / "tls.key").read_bytes()[:120])
        elif problem == "truncated certificate":
            (byo / "tls.crt").write_bytes((byo / "tls.crt").read_bytes()[:-40])
        elif problem == "other CA":
            (byo / "tls.crt").write_bytes((other / "tls.crt").read_bytes())
            (byo / "tls.key").write_bytes((other / "tls.key").read_bytes())
        elif problem == "missing ca.crt":
            (byo / "ca.crt").unlink()
        elif problem == "key in ca.crt":
            (byo / "ca.crt").write_bytes((byo / "ca.crt").read_bytes() + (byo / "tls.key").read_bytes())
        elif problem == "expired":
            now = datetime.now(timezone.utc) + 400 * DAY
        else:
            ensure_cert_dir(tmp_path / "gen", ["elsewhere"], options=FAST)
            byo = plain_copy(tmp_path / "gen", tmp_path / "byo2")
        before = {p.name: p.read_bytes() for p in byo.iterdir()}
        with pytest.raises(CatrustError, match=r"not usable") as caught:
            ensure_cert_dir(byo, NAMES, generate=False, now=now)
        assert words in str(caught.value)
        assert "PRIVATE KEY" not in str(caught.value)
        assert {p.name: p.read_bytes() for p in byo.iterdir()} == before


def test_options_are_keda_s_defaults() -> None:
    options = CertOptions()
    assert (options.ca_validity.days, options.validity.days, options.renew_within.days) == (3650, 365, 90)
    assert options.key_type == "rsa-2048"


def test_a_ca_name_cryptography_refuses_is_a_setting_error() -> None:
    """A renewal copies the current CA's names, which someone else may have made longer than X.509 allows."""
    from catrust._certs import mint

    with pytest.raises(ConfigError, match=r"cannot name the CA"):
        mint.ca_name("x" * 65, "catrust")


def test_a_ca_key_that_does_not_match_ca_crt_is_reported_and_never_signs(tmp_path: Path) -> None:
    """A ca.key from another CA would sign certificates that chain to nothing: report it, renew nothing."""
    folder = generated(tmp_path / "certs")
    contents = dict(read(str(folder)).contents)
    contents["ca.key"] = key_pem(new_key())
    publish(str(folder), contents, datetime.now(timezone.utc))
    checked = inspect(read(str(folder)), datetime.now(timezone.utc), ca_key=True)
    assert checked.problems["ca.key"] == ("ca.key does not match the first certificate in ca.crt",)
    before = dict(read(str(folder)).contents)
    with pytest.raises(CatrustError, match=r"cannot renew .*ca\.key does not match"):
        ensure_cert_dir(folder, NAMES, options=replace(FAST, renew_within=timedelta(days=4000)))
    assert dict(read(str(folder)).contents) == before


def _renew_repeatedly(folder: str, rounds: int) -> None:
    for _ in range(rounds):
        ensure_cert_dir(folder, NAMES, options=replace(FAST, renew_within=timedelta(days=4000)))


def test_two_concurrent_writers_never_break_the_set(tmp_path: Path) -> None:
    """An operator and a cron job renewing at once: the lock serialises them, so every renewal lands whole."""
    folder = generated(tmp_path / "certs")
    forked = multiprocessing.get_context("fork")
    writers = [forked.Process(target=_renew_repeatedly, args=(str(folder), 15)) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
    assert [w.exitcode for w in writers] == [0, 0]
    checked = inspect(read(str(folder)), datetime.now(timezone.utc), dns_names=NAMES, ca_key=True)
    assert checked.problems == {}
    assert len([p for p in folder.iterdir() if p.name.startswith("..2")]) == 1


# --- every reason, boundary and field, exactly ------------------------------------------------------


@pytest.mark.parametrize("service, namespace, domain", [("", "ns", "d"), ("svc", "", "d"), ("svc", "ns", "")])
def test_every_part_of_a_service_name_is_needed(service: str, namespace: str, domain: str) -> None:
    with pytest.raises(ConfigError) as refused:
        service_dns_names(service, namespace, domain)
    assert str(refused.value) == "a service name, a namespace and a cluster domain are all needed"


def test_a_new_folder_is_0755_whatever_the_umask(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Peers read ca.crt and tls.crt through it; the keys are protected by their own modes."""
    caplog.set_level(logging.INFO, logger="catrust")
    previous = os.umask(0)
    try:
        result = ensure_cert_dir(tmp_path / "certs", NAMES, options=FAST)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "certs").stat().st_mode) == 0o755
    [ca], [leaf] = certs(tmp_path / "certs" / "ca.crt"), certs(tmp_path / "certs" / "tls.crt")
    assert result == Rotation(
        True, ("no certificates yet: a new CA and certificate",), ca.not_valid_after_utc, leaf.not_valid_after_utc
    )
    assert issued_by(leaf, ca)
    assert [r.getMessage() for r in caplog.records if r.name == "catrust"] == [
        f"certificates in {tmp_path / 'certs'} renewed: no certificates yet: a new CA and certificate"
    ]


def test_a_set_not_due_says_so_with_its_dates(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    [ca], [leaf] = certs(folder / "ca.crt"), certs(folder / "tls.crt")
    result = ensure_cert_dir(folder, NAMES, options=FAST)
    assert result == Rotation(
        False, ("the certificates are valid and not due for renewal",), ca.not_valid_after_utc, leaf.not_valid_after_utc
    )
    assert result.changed is False


def test_names_that_are_not_dns_names_are_all_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        ensure_cert_dir(tmp_path / "certs", ["good.example", "has space", "under_score"], options=FAST)
    assert str(refused.value) == "not a DNS name: 'has space', 'under_score'"


def test_the_ca_renews_exactly_at_its_look_ahead_and_is_replaced_exactly_at_expiry(tmp_path: Path) -> None:
    relaxed = replace(FAST, validity=FAST.ca_validity, renew_within=timedelta(0))  # only the CA's own rules
    folder = tmp_path / "certs"
    ensure_cert_dir(folder, NAMES, options=relaxed)
    [ca] = certs(folder / "ca.crt")
    end = ca.not_valid_after_utc
    assert not ensure_cert_dir(folder, NAMES, options=relaxed, now=end - FAST.ca_renew_within).changed
    overlap = ensure_cert_dir(copy_of(folder, tmp_path / "a"), NAMES, options=relaxed, now=end - timedelta(hours=1))
    assert overlap.reasons == (
        f"the CA expires on {end:%Y-%m-%d}, within 365 days: a new CA and certificate; the old CA stays trusted "
        "until it expires",
    )
    expired = copy_of(folder, tmp_path / "b")
    assert ensure_cert_dir(expired, NAMES, options=relaxed, now=end).reasons == (
        f"the CA expired on {end:%Y-%m-%d}: a new CA and certificate",
    )
    [new_ca], [leaf] = certs(expired / "ca.crt"), certs(expired / "tls.crt")
    assert issued_by(leaf, new_ca) and sha(new_ca) != sha(ca)


def test_the_certificate_renews_exactly_at_its_look_ahead(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    [leaf] = certs(folder / "tls.crt")
    due = leaf.not_valid_after_utc - FAST.renew_within
    assert not ensure_cert_dir(folder, NAMES, options=FAST, now=due).changed
    assert ensure_cert_dir(folder, NAMES, options=FAST, now=due + timedelta(microseconds=1)).reasons == (
        f"tls.crt expires on {leaf.not_valid_after_utc:%Y-%m-%d}, within 90 days",
    )


def test_a_certificate_from_the_previous_ca_is_renewed_from_the_current_one(tmp_path: Path) -> None:
    """During an overlap, the old CA's certificate still verifies, but renewal must move to the new CA."""
    long_lived = replace(FAST, validity=FAST.ca_validity)  # the old certificate is still valid during the overlap
    folder = tmp_path / "certs"
    ensure_cert_dir(folder, NAMES, options=long_lived)
    old = dict(read(str(folder)).contents)
    [ca] = certs(folder / "ca.crt")
    during = ca.not_valid_before_utc + 3400 * DAY
    ensure_cert_dir(folder, NAMES, options=long_lived, now=during)
    contents = dict(read(str(folder)).contents)
    contents.update({"tls.crt": old["tls.crt"], "tls.key": old["tls.key"]})
    publish(str(folder), contents, during)
    relaxed = replace(long_lived, renew_within=timedelta(0))
    assert ensure_cert_dir(folder, NAMES, options=relaxed, now=during).reasons == (
        "tls.crt is not from the current CA",
    )
    new_ca = certs(folder / "ca.crt")[0]
    assert issued_by(certs(folder / "tls.crt")[0], new_ca)


def test_a_certificate_already_renewed_for_one_reason_gets_no_others(tmp_path: Path) -> None:
    """Its damaged key renews it: its names are not compared to the wanted ones, whatever they are."""
    folder = generated(tmp_path / "certs")
    contents = dict(read(str(folder)).contents)
    contents["tls.key"] = contents["tls.key"][:100]
    publish(str(folder), contents, datetime.now(timezone.utc))
    result = ensure_cert_dir(folder, ["other.example", "more.example"], options=FAST)
    assert len(result.reasons) == 1 and result.reasons[0].startswith("tls.key is not a readable PEM private key")
    sans = certs(folder / "tls.crt")[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["other.example", "more.example"]


def test_new_names_are_listed_both_ways(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    assert ensure_cert_dir(folder, ["a.example", "b.example"], options=FAST).reasons == (
        f"tls.crt names {', '.join(NAMES)}; wanted a.example, b.example",
    )


def test_a_ca_that_cannot_renew_names_every_problem(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    contents = dict(read(str(folder)).contents)
    contents["ca.crt"] = contents["ca.crt"][:-40]
    contents["ca.key"] = contents["ca.key"][:-60]
    publish(str(folder), contents, datetime.now(timezone.utc))
    with pytest.raises(CatrustError) as refused:
        ensure_cert_dir(folder, NAMES, options=FAST)
    assert str(refused.value) == (
        f"cannot renew the certificates in {folder}: ca.crt #1: its CERTIFICATE block has no matching END line: "
        "the file is cut short or damaged, so nothing from it was used; ca.key is not a readable PEM private key "
        "(cut short, damaged, or not a key). "
        "To start over with a new CA, empty the folder (peers then need the new ca.crt)"
    )


def test_a_ca_kept_for_an_overlap_goes_at_its_expiry_and_only_crosses_are_carried(tmp_path: Path) -> None:
    folder = generated(tmp_path / "certs")
    [old_ca] = certs(folder / "ca.crt")
    ensure_cert_dir(folder, NAMES, options=FAST, now=old_ca.not_valid_before_utc + 3400 * DAY)
    new_ca, _ = certs(folder / "ca.crt")
    leaf, cross = certs(folder / "tls.crt")
    contents = dict(read(str(folder)).contents)
    stranger = certs(generated(tmp_path / "other") / "ca.crt")[0]
    contents["tls.crt"] += stranger.public_bytes(Encoding.PEM)  # not a cross of the current CA: never carried
    publish(str(folder), contents, old_ca.not_valid_before_utc + 3400 * DAY)
    ensure_cert_dir(folder, NAMES, options=LEAF_DUE, now=old_ca.not_valid_after_utc - timedelta(seconds=1))
    assert [sha(c) for c in certs(folder / "ca.crt")] == [sha(new_ca), sha(old_ca)]
    assert [sha(c) for c in certs(folder / "tls.crt")[1:]] == [sha(cross)]
    ensure_cert_dir(folder, NAMES, options=LEAF_DUE, now=old_ca.not_valid_after_utc)  # its last moment: gone
    assert [sha(c) for c in certs(folder / "ca.crt")] == [sha(new_ca)]
    assert len(certs(folder / "tls.crt")) == 1 and sha(leaf) != sha(certs(folder / "tls.crt")[0])


def test_links_that_bypass_data_are_repaired_and_said(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = generated(tmp_path / "certs")
    target = (folder / "tls.key").resolve()
    (folder / "tls.key").unlink()
    (folder / "tls.key").symlink_to(target)  # absolute, not through ..data
    assert ensure_cert_dir(folder, NAMES, options=FAST).reasons == ("the visible names do not all link through ..data",)
    assert os.readlink(folder / "tls.key") == "..data/tls.key"
    (folder / "tls.key").unlink()
    (folder / "tls.key").symlink_to(target)
    [leaf] = certs(folder / "tls.crt")
    caplog.set_level(logging.INFO, logger="catrust")
    ensure_cert_dir(folder, NAMES, options=LEAF_DUE)  # two reasons at once: one log line names both
    assert [r.getMessage() for r in caplog.records if r.name == "catrust"] == [
        f"certificates in {folder} renewed: the visible names do not all link through ..data; tls.crt expires on "
        f"{leaf.not_valid_after_utc:%Y-%m-%d}, within 4000 days"
    ]


class TestBringYourOwnExactly:
    def test_a_valid_set_is_reported_with_its_dates(self, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
        byo = plain_copy(generated(tmp_path / "gen"), tmp_path / "byo")
        [ca], [leaf] = certs(byo / "ca.crt"), certs(byo / "tls.crt")
        due = leaf.not_valid_after_utc - CertOptions().renew_within
        assert ensure_cert_dir(byo, NAMES, generate=False, now=due) == Rotation(
            False,
            ("the certificates are valid (generation is off: nothing is written)",),
            ca.not_valid_after_utc,
            leaf.not_valid_after_utc,
        )
        late = ensure_cert_dir(byo, NAMES, generate=False, now=due + timedelta(microseconds=1))
        soon = f"tls.crt expires on {leaf.not_valid_after_utc:%Y-%m-%d}: replace it soon"
        assert late.reasons == ("the certificates are valid (generation is off: nothing is written)", soon)
        assert late.changed is False
        assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
            f"certificates in {byo}: {soon}"
        ]

    def test_every_problem_is_listed(self, tmp_path: Path) -> None:
        byo = plain_copy(generated(tmp_path / "gen"), tmp_path / "byo")
        (byo / "ca.crt").unlink()
        (byo / "tls.key").write_bytes((generated(tmp_path / "other") / "tls.key").read_bytes())
        with pytest.raises(CatrustError) as refused:
            ensure_cert_dir(byo, NAMES, generate=False)
        assert str(refused.value) == (
            f"the certificates in {byo} are not usable: ca.crt is missing; tls.key does not match tls.crt"
        )


def copy_of(folder: Path, to: Path) -> Path:
    """A managed set copied with its links, so one moment can be tried on each copy."""
    shutil.copytree(folder, to, symlinks=True)
    return to
