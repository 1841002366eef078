"""Make a component-certificate folder ready: create, renew or leave alone, in one idempotent call.

Rules, in order (KEDA's defaults; `now` is a parameter so every rule can be tested without waiting):
- nothing there yet: a new CA and a new certificate;
- the CA expires within `ca_renew_within`: a new CA. `ca.crt` keeps the old CA beside the new one
  until it expires, and `tls.crt` carries the new CA cross-signed by the old one, so peers that
  trust either CA keep accepting us and we keep accepting them. An expired CA is replaced outright;
- the certificate is unusable, names other hosts, is not from the current CA, or expires within
  `renew_within`: a new certificate (new key) from the current CA;
- CAs kept for an overlap that have expired are dropped;
- otherwise nothing is written.
Files someone else put there (plain files) are checked, never overwritten.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509

from ..errors import CertFolderError, ConfigError
from . import folder as certdir
from . import mint
from .check import Inspection, dns_names, inspect, issued_by, key_matches, same_key
from .folder import CA_CRT, CA_KEY, TLS_CRT, TLS_KEY

log = logging.getLogger("catrust")

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DNS_NAME = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*")


@dataclass(frozen=True)
class CertOptions:
    """What to make and when to renew it. KEDA's numbers; the names say catrust, not KEDA."""

    ca_common_name: str = "catrust"
    ca_organization: str = "catrust"
    key_type: mint.KeyType = "rsa-2048"
    ca_validity: timedelta = timedelta(days=3650)
    validity: timedelta = timedelta(days=365)
    renew_within: timedelta = timedelta(days=90)
    # A new certificate runs for `validity`; renewing the CA that long before it expires means a
    # certificate never outlives its CA, and gives peers that long to learn the new CA.
    ca_renew_within: timedelta = timedelta(days=365)


@dataclass(frozen=True)
class Rotation:
    """What `ensure_cert_dir` did and why (each reason names a file; none shows key material)."""

    changed: bool
    reasons: tuple[str, ...]
    ca_not_after: datetime
    not_after: datetime  # tls.crt


def service_dns_names(service: str, namespace: str, cluster_domain: str = "cluster.local") -> tuple[str, ...]:
    """The names a Kubernetes Service answers to, as KEDA puts them in its certificate."""
    if not service or not namespace or not cluster_domain:
        raise ConfigError("a service name, a namespace and a cluster domain are all needed")
    return (
        service,
        f"{service}.{namespace}",
        f"{service}.{namespace}.svc",
        f"{service}.{namespace}.svc.{cluster_domain}",
    )


def ensure_cert_dir(
    cert_dir: str | os.PathLike[str],
    dns_names: Sequence[str] | None = None,
    *,
    generate: bool = True,
    options: CertOptions | None = None,
    now: datetime | None = None,
) -> Rotation:
    """Make `cert_dir` hold a valid set (generate=True), or check the one someone provided (False).

    `dns_names` defaults to the names in the current `tls.crt`. Raises CertFolderError, naming the
    file and the problem, when the set cannot be made or is invalid; the folder is then unchanged.
    """
    folder = os.fspath(cert_dir)
    opts = options or CertOptions()
    when = now or datetime.now(timezone.utc)
    wanted = tuple(dns_names) if dns_names is not None else None
    if not generate:
        return _check(folder, wanted, opts, when)
    try:
        os.makedirs(folder, mode=0o755, exist_ok=True)
    except OSError as exc:
        raise CertFolderError(f"cannot create the certificate folder {folder}: {exc.strerror}") from None
    current = inspect(certdir.read(folder), when, ca_key=True)
    plan = _plan(current, wanted, opts, when)
    if plan.reasons:
        with certdir.locked(folder):  # decide again: another writer may have just done it
            current = inspect(certdir.read(folder), when, ca_key=True)
            plan = _plan(current, wanted, opts, when)
            if plan.reasons:
                contents, ca, leaf = _carry_out(plan, current, opts, when)
                certdir.publish(folder, contents, when)
                log.info("certificates in %s renewed: %s", folder, "; ".join(plan.reasons))
                return Rotation(True, plan.reasons, ca.not_valid_after_utc, leaf.not_valid_after_utc)
    assert current.ca is not None and current.leaf is not None  # a plan without reasons has both
    return Rotation(
        False,
        ("the certificates are valid and not due for renewal",),
        current.ca.not_valid_after_utc,
        current.leaf.not_valid_after_utc,
    )


@dataclass(frozen=True)
class _Plan:
    reasons: tuple[str, ...]
    names: tuple[str, ...]
    new_ca: bool = False
    overlap: bool = False  # keep the old CA trusted and cross-sign the new one with it
    new_leaf: bool = False


def _plan(current: Inspection, wanted: tuple[str, ...] | None, opts: CertOptions, now: datetime) -> _Plan:
    files = current.files
    if files.layout == "plain":
        raise CertFolderError(
            f"{files.cert_dir} holds certificate files catrust did not write (plain files, not links "
            f"through ..data): they are never overwritten. Use them with generation off, or give an empty folder"
        )
    names = wanted or (tuple(dns_names(current.leaf)) if current.leaf else ())
    if not names:
        raise ConfigError(f"no DNS names given for {files.cert_dir}, and none can be read from its {TLS_CRT}")
    bad = [n for n in names if not _DNS_NAME.fullmatch(n)]
    if bad:
        raise ConfigError(f"not a DNS name: {', '.join(map(repr, bad))}")
    if files.layout == "empty":
        return _Plan(("no certificates yet: a new CA and certificate",), names, new_ca=True, new_leaf=True)
    ca, ca_key = current.ca, current.ca_key
    if ca is None or ca_key is None or not key_matches(ca_key, ca):
        problems = [*current.problems.get(CA_CRT, ()), *current.problems.get(CA_KEY, ())] or [f"{CA_KEY} is missing"]
        raise CertFolderError(
            f"cannot renew the certificates in {files.cert_dir}: {'; '.join(problems)}. "
            "To start over with a new CA, empty the folder (peers then need the new ca.crt)"
        )
    left = ca.not_valid_after_utc - now
    if left <= timedelta(0):
        return _Plan(
            (f"the CA expired on {ca.not_valid_after_utc:%Y-%m-%d}: a new CA and certificate",),
            names,
            new_ca=True,
            new_leaf=True,
        )
    if left < opts.ca_renew_within:
        reason = (
            f"the CA expires on {ca.not_valid_after_utc:%Y-%m-%d}, within {opts.ca_renew_within.days} days: "
            "a new CA and certificate; the old CA stays trusted until it expires"
        )
        return _Plan((reason,), names, new_ca=True, overlap=True, new_leaf=True)
    reasons = list(current.problems.get(CA_CRT, ()))  # e.g. a CA kept for an overlap has expired
    leaf = current.leaf
    renew = [*current.problems.get(TLS_CRT, ()), *current.problems.get(TLS_KEY, ())]
    if leaf is not None and not renew:
        if set(dns_names(leaf)) != set(names):
            renew.append(f"{TLS_CRT} names {', '.join(dns_names(leaf))}; wanted {', '.join(names)}")
        if not issued_by(leaf, ca):
            renew.append(f"{TLS_CRT} is not from the current CA")
        if leaf.not_valid_after_utc - now < opts.renew_within:
            renew.append(
                f"{TLS_CRT} expires on {leaf.not_valid_after_utc:%Y-%m-%d}, within {opts.renew_within.days} days"
            )
    if not files.links_ok:
        reasons.append("the visible names do not all link through ..data")
    return _Plan(tuple(reasons + renew), names, new_leaf=bool(renew))


def _carry_out(
    plan: _Plan, current: Inspection, opts: CertOptions, now: datetime
) -> tuple[dict[str, bytes], x509.Certificate, x509.Certificate]:
    """The new set's file contents, its CA and its leaf. Keys go nowhere but into the new generation."""
    ca, ca_key = current.ca, current.ca_key
    previous: list[x509.Certificate] = list(current.ca_certs[1:])
    crosses = [c for c in current.chain[1:] if ca is not None and same_key(c, ca)]  # from an overlap
    if plan.new_ca:
        new_key = mint.new_key(opts.key_type)
        new = mint.new_ca(new_key, mint.ca_name(opts.ca_common_name, opts.ca_organization), now, opts.ca_validity)
        if plan.overlap and ca is not None and ca_key is not None:
            previous, crosses = [ca, *previous], [mint.cross_sign(new, ca, ca_key, now)]
        else:
            previous, crosses = [], []
        ca, ca_key = new, new_key
    assert ca is not None and ca_key is not None  # _plan refused a folder without a usable CA
    leaf, key = current.leaf, current.key
    if plan.new_leaf:
        key = mint.new_key(opts.key_type)
        leaf = mint.issue(ca, ca_key, key, plan.names, opts.ca_organization, now, opts.validity)
    assert leaf is not None and key is not None  # _plan renews one that is missing or unreadable
    alive = [c for c in previous if c.not_valid_after_utc > now]
    contents = {
        CA_CRT: mint.certs_pem([ca, *alive]),
        CA_KEY: mint.key_pem(ca_key),
        TLS_CRT: mint.certs_pem([leaf, *(c for c in crosses if c.not_valid_after_utc > now)]),
        TLS_KEY: mint.key_pem(key),
    }
    return contents, ca, leaf


def _check(folder: str, wanted: tuple[str, ...] | None, opts: CertOptions, now: datetime) -> Rotation:
    """Generation off: the set must be usable as it is; nothing is ever written."""
    current = inspect(certdir.read(folder), now, dns_names=wanted or ())
    if current.problems:
        raise CertFolderError(f"the certificates in {folder} are not usable: {'; '.join(current.messages)}")
    assert current.leaf is not None and current.ca is not None
    reasons = ["the certificates are valid (generation is off: nothing is written)"]
    if current.leaf.not_valid_after_utc - now < opts.renew_within:
        soon = f"{TLS_CRT} expires on {current.leaf.not_valid_after_utc:%Y-%m-%d}: replace it soon"
        reasons.append(soon)
        log.warning("certificates in %s: %s", folder, soon)
    return Rotation(False, tuple(reasons), current.ca.not_valid_after_utc, current.leaf.not_valid_after_utc)
