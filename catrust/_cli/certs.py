"""`catrust certs …`: generate, rotate and inspect a component-certificate folder.

These commands work on one certificate folder and never load the CA folders. Output names
files, subjects, names and dates, never key material: keys are only ever parsed, to check them.
"""

from __future__ import annotations

import argparse
import base64
import os
from datetime import datetime, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .._certs import folder as certdir
from .._certs import mint
from .._certs.check import (
    Inspection,
    PrivateKey,
    certificates,
    dns_names,
    inspect,
    key_matches,
)
from .._certs.folder import CA_CRT, CA_KEY, TLS_CRT, TLS_KEY
from .._certs.rotation import CertOptions, Rotation, ensure_cert_dir, service_dns_names
from .._text import name_text, printable
from ..errors import CatrustError, ConfigError
from . import arguments
from .output import EXIT_OK, EXIT_PROBLEMS, print_json, print_table

_DEFAULTS = CertOptions()


def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Register `certs` and its subcommands on the main parser."""
    certs = commands.add_parser("certs", help="generate, rotate and inspect component certificates (mutual TLS)")
    sub = certs.add_subparsers(title="certs commands", metavar="COMMAND", required=True)

    generate = sub.add_parser("generate", help="create the CA and certificate when missing, renew them when due")
    _cert_dir(generate)
    names = generate.add_mutually_exclusive_group(required=True)
    names.add_argument(
        "--dns-name",
        action="append",
        type=arguments.nonempty,
        metavar="NAME",
        help="a name for the certificate (repeatable)",
    )
    names.add_argument(
        "--service",
        type=arguments.nonempty,
        metavar="NAME",
        help="a Kubernetes Service: its four DNS names (needs --namespace)",
    )
    generate.add_argument("--namespace", type=arguments.nonempty, metavar="NS")
    generate.add_argument(
        "--cluster-domain",
        type=arguments.nonempty,
        default="cluster.local",
        metavar="D",
        help="the cluster's DNS domain (default: cluster.local)",
    )
    generate.add_argument(
        "--key-type",
        choices=mint.KEY_TYPES,
        default=_DEFAULTS.key_type,
        help=f"key type for new keys (default: {_DEFAULTS.key_type}, as KEDA)",
    )
    generate.add_argument(
        "--ca-common-name",
        type=arguments.common_name,
        default=_DEFAULTS.ca_common_name,
        metavar="CN",
        help=f"the CA's common name (default: {_DEFAULTS.ca_common_name})",
    )
    generate.add_argument(
        "--ca-organization",
        type=arguments.name_text,
        default=_DEFAULTS.ca_organization,
        metavar="O",
        help=f"the CA's and certificate's organization (default: {_DEFAULTS.ca_organization})",
    )
    _within(generate)
    generate.set_defaults(command=_generate)

    rotate = sub.add_parser("rotate", help="renew what is due, keeping the names in tls.crt")
    _cert_dir(rotate)
    rotate.add_argument("--key-type", choices=mint.KEY_TYPES, help="key type for new keys (default: the current CA's)")
    _within(rotate)
    rotate.set_defaults(command=_rotate)

    status = sub.add_parser("status", help="each file: subject, names, expiry, days left, whether the key matches")
    _cert_dir(status)
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(command=_status)

    bundle = sub.add_parser("ca-bundle", help="ca.crt as base64, for a caBundle field")
    _cert_dir(bundle)
    bundle.set_defaults(command=_ca_bundle)


def _cert_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cert-dir",
        required=True,
        type=arguments.nonempty,
        metavar="DIR",
        help="the certificate folder (KEDA: /certs)",
    )


def _within(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--within",
        type=arguments.duration,
        default=_DEFAULTS.renew_within,
        metavar="DURATION",
        help="renew the certificate when it expires within this long, e.g. 90d or 2160h "
        "(default: 90d; more than its validity forces a renewal)",
    )


def _generate(args: argparse.Namespace) -> int:
    if args.service:
        if not args.namespace:
            raise ConfigError("--service needs --namespace")
        names: tuple[str, ...] = service_dns_names(args.service, args.namespace, args.cluster_domain)
    else:
        names = tuple(args.dns_name)
    options = CertOptions(
        ca_common_name=args.ca_common_name,
        ca_organization=args.ca_organization,
        key_type=args.key_type,
        renew_within=args.within,
    )
    _report(args.cert_dir, ensure_cert_dir(args.cert_dir, names, options=options))
    return EXIT_OK


def _rotate(args: argparse.Namespace) -> int:
    current = inspect(certdir.read(args.cert_dir), datetime.now(timezone.utc), ca_key=True)
    if current.ca is None:
        raise CatrustError(f"nothing to rotate in {args.cert_dir}: run `catrust certs generate` first")
    organization = current.ca.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
    common_name = current.ca.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    options = CertOptions(  # a renewed CA keeps the current one's names
        ca_common_name=str(common_name[0].value) if common_name else _DEFAULTS.ca_common_name,
        ca_organization=str(organization[0].value) if organization else _DEFAULTS.ca_organization,
        key_type=args.key_type or mint.key_type_of(current.ca_key) or _DEFAULTS.key_type,
        renew_within=args.within,
    )
    _report(args.cert_dir, ensure_cert_dir(args.cert_dir, options=options))
    return EXIT_OK


def _report(cert_dir: str, result: Rotation) -> None:
    verb = "renewed" if result.changed else "unchanged"
    print(f"{verb}: {cert_dir}: CA until {result.ca_not_after:%Y-%m-%d}, certificate until {result.not_after:%Y-%m-%d}")
    for reason in result.reasons:
        print(f"  {reason}")


def _status(args: argparse.Namespace) -> int:
    now = datetime.now(timezone.utc)
    checked = inspect(certdir.read(args.cert_dir), now, ca_key=True)
    report = _status_json(checked, now)
    if args.json:
        print_json(report)
    else:
        _print_status(report)
    return EXIT_OK if report["ok"] else EXIT_PROBLEMS


def _status_json(checked: Inspection, now: datetime) -> dict[str, Any]:
    files = checked.files
    ca_key_present = CA_KEY in files.contents
    entries: list[dict[str, Any]] = []
    for name in certdir.NAMES:
        entry: dict[str, Any] = {
            "name": name,
            "path": os.path.join(files.cert_dir, name),
            "present": name in files.contents,
        }
        if name in (CA_CRT, TLS_CRT) and entry["present"]:
            entry["certificates"] = [
                _cert_json(c, now) for c in (checked.ca_certs if name == CA_CRT else checked.chain)
            ]
        if name in (CA_KEY, TLS_KEY) and entry["present"]:
            key, owner = (checked.ca_key, checked.ca) if name == CA_KEY else (checked.key, checked.leaf)
            entry["key_type"] = _key_type(key) if key is not None else None
            entry["matches"] = key is not None and owner is not None and key_matches(key, owner)
        entry["problems"] = list(checked.problems.get(name, ()))
        entries.append(entry)
    return {
        "cert_dir": files.cert_dir,
        "layout": files.layout,
        "generation": files.folder if files.layout == "generations" else None,
        "ok": not checked.problems,
        "ca_key_present": ca_key_present,
        "files": entries,
        "problems": checked.messages,
    }


def _cert_json(cert: x509.Certificate, now: datetime) -> dict[str, Any]:
    return {
        "subject": name_text(cert.subject),
        "issuer": name_text(cert.issuer),
        "dns_names": dns_names(cert),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "days_left": (cert.not_valid_after_utc - now).days,
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
    }


def _key_type(key: PrivateKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"EC {key.curve.name}"
    return type(key).__name__


def _print_status(report: dict[str, Any]) -> None:
    where = f" (generation {report['generation']})" if report["generation"] else f" ({report['layout']} files)"
    print(f"{report['cert_dir']}{where}")
    rows = [("FILE", "SUBJECT", "NAMES", "EXPIRES", "DAYS LEFT")]
    for entry in report["files"]:
        if not entry["present"]:
            rows.append((entry["name"], "missing", "", "", ""))
        elif "certificates" in entry:
            for number, cert in enumerate(entry["certificates"], start=1):
                label = entry["name"] if number == 1 else f"  #{number}"
                rows.append(
                    (
                        label,
                        cert["subject"],
                        printable(", ".join(cert["dns_names"])) or "-",
                        cert["not_after"][:10],
                        str(cert["days_left"]),
                    )
                )
        else:
            owner = CA_CRT if entry["name"] == CA_KEY else TLS_CRT
            verdict = f"matches {owner}" if entry["matches"] else f"DOES NOT match {owner}"
            rows.append((entry["name"], f"{entry['key_type'] or 'unreadable key'}, {verdict}", "", "", ""))
    print_table(rows)
    for problem in report["problems"]:
        print(f"problem: {problem}")
    if report["ok"]:
        print("ok: a complete, valid set" + ("" if report["ca_key_present"] else " (no ca.key: cannot renew)"))


def _ca_bundle(args: argparse.Namespace) -> int:
    """Only the certificate blocks are re-encoded, so a key pasted into ca.crt can never leak."""
    certs, problems = certificates(certdir.read(args.cert_dir), CA_CRT)
    if problems or not certs:
        raise CatrustError(f"{args.cert_dir}: {'; '.join(problems) or f'{CA_CRT} is missing'}")
    pem = mint.certs_pem(certs)
    print(base64.b64encode(pem).decode("ascii"))
    return EXIT_OK
