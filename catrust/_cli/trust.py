"""`catrust bundle | list | check | env | write | watch`: the CA folders' trust, shown, checked and written.

Each command loads the store once (the sidecar `watch` keeps following it) and prints from it:
every output here and in the library comes from the same TrustStore.
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import signal
import sys
from typing import Any, TextIO

from .. import _options as settings
from .._exported_env import format_json, format_sh, variables
from .._options import Options
from .._process_trust import bundle_file_for
from .._text import printable
from .._trust.bundle import BundleFile
from .._trust.loader import Loader
from .._trust.model import Certificate, Rejection, describe
from .._trust.reloader import Reloader
from .._trust.store import TrustStore
from . import arguments
from .output import (
    EXIT_OK,
    EXIT_PROBLEMS,
    log_to_stderr,
    plural,
    print_json,
    print_table,
)


def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    """Register the CA-folder commands on the main parser."""
    bundle = commands.add_parser("bundle", help="print the effective bundle (diagnostics on stderr)")
    bundle.set_defaults(command=_bundle)
    listing = commands.add_parser("list", help="every certificate and every rejected file, with reasons")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(command=_list)
    check = commands.add_parser("check", help="exit 0 if every custom file is accepted, 1 if not")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(command=_check)
    env = commands.add_parser("env", help="environment variables pointing SDKs and programs at the bundle")
    env.add_argument(
        "--format",
        choices=("sh", "json"),
        default="sh",
        help="sh: export lines safe to eval (default); json: an object",
    )
    env.set_defaults(command=_env)
    write = commands.add_parser("write", help="write the bundle atomically to PATH")
    write.add_argument("path", type=arguments.nonempty, metavar="PATH")
    write.set_defaults(command=_write)
    watch = commands.add_parser("watch", help="keep the bundle at PATH current as the folders change (sidecar)")
    watch.add_argument(
        "--out", required=True, type=arguments.nonempty, metavar="PATH", help="the bundle file to keep current"
    )
    watch.add_argument(
        "--interval",
        type=arguments.interval,
        default=settings.DEFAULT_WATCH_INTERVAL,
        metavar="S",
        help=f"seconds between checks (default: {settings.DEFAULT_WATCH_INTERVAL:g})",
    )
    watch.set_defaults(command=_watch)


def _loader(args: argparse.Namespace) -> Loader:
    """The folders and settings named by the global options, else by the environment."""
    return Loader(Options.resolve(args.ca_dir or None, system=args.system, max_file_size=args.max_file_size))


def _bundle(args: argparse.Namespace) -> int:
    store = TrustStore.first_look(_loader(args))
    sys.stdout.write(store.pem())
    sys.stdout.flush()
    _diagnostics(store, sys.stderr)
    return EXIT_OK


def _write(args: argparse.Namespace) -> int:
    store = TrustStore.first_look(_loader(args))
    path = store.write_bundle(args.path)
    _diagnostics(store, sys.stderr)
    print(_wrote(path, store))
    return EXIT_OK


def _env(args: argparse.Namespace) -> int:
    """The same files a process using catrust would point at, so children share what it trusts."""
    loader = _loader(args)
    store = TrustStore.first_look(loader)
    merged = store.write_bundle(bundle_file_for(loader))
    custom = store.write_custom_bundle(bundle_file_for(loader, "ca-custom")) if store.custom else None
    env = variables(merged, custom)
    sys.stdout.write(format_json(env) if args.format == "json" else format_sh(env))
    _diagnostics(store, sys.stderr)
    return EXIT_OK


def _watch(args: argparse.Namespace) -> int:
    """Sidecar: write the bundle, then rewrite it (atomically) on every applied change until signalled.

    One stdout line per write; the library's warnings (rejected files, CAs kept through a
    half-finished update, a failed rewrite that keeps the previous bundle) on stderr. SIGTERM or
    SIGINT ends the loop between checks, exit 0.
    """
    interval = settings.watch_interval(args.interval)
    if not args.verbose:
        log_to_stderr(logging.WARNING)
    # A flag, not a threading.Event: a handler calling Event.set() while the main thread waits on the
    # same Event needs the lock the wait holds, and the sidecar deadlocked on SIGTERM (seen in a test run).
    stopping: list[int] = []
    wake, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _: stopping.append(number))
    bundle = BundleFile(args.out)
    follower = Reloader(
        _loader(args), bundle=bundle
    )  # a first write that fails raises: a wrong path, not a passing problem
    shown: TrustStore | None = None
    while True:
        follower.check()
        if bundle.store is not None and bundle.store is not shown:
            shown = bundle.store
            print(f"generation {follower.generation}: {_wrote(args.out, shown)}", flush=True)
        if not stopping:
            select.select([wake], [], [], interval)  # the signal's byte on the wakeup fd ends the wait early
        if stopping:
            return EXIT_OK


def _wrote(path: str, store: TrustStore) -> str:
    return (
        f"wrote {path}: {len(store.certificates)} certificates ({len(store.custom)} custom, "
        f"{len(store.certificates) - len(store.custom)} system)"
    )


def _check(args: argparse.Namespace) -> int:
    store = TrustStore.first_look(_loader(args))
    ok = not store.rejected and not store.missing_dirs
    if args.json:
        print_json({"ok": ok, **_as_json(store, include_system=False)})
    else:
        _diagnostics(store, sys.stdout)
        if ok:
            print("ok: every custom CA file is accepted")
    return EXIT_OK if ok else EXIT_PROBLEMS


def _list(args: argparse.Namespace) -> int:
    store = TrustStore.first_look(_loader(args))
    if args.json:
        print_json(_as_json(store, include_system=True))
        return EXIT_OK
    rows = [("ORIGIN", "VERDICT", "EXPIRES", "SHA-256", "SUBJECT / SOURCE")]
    for cert in [*store.system, *store.custom]:
        verdict = "trusted" if cert.origin == "system" else ("warning" if cert.warnings else "accepted")
        source = "" if cert.origin == "system" else f"  ({cert.where})"
        rows.append((cert.origin, verdict, _day(cert), cert.fingerprint[:16], cert.subject + source))
        rows += [("", "", "", "", f"! {w}") for w in cert.warnings]
    for dup in store.duplicates:
        rows.append(
            (
                "custom",
                "duplicate",
                "",
                dup.fingerprint[:16],
                f"{dup.subject}  ({dup.where}, counted once at {dup.first})",
            )
        )
    for item in store.rejected:
        subject = f"  [{item.subject}]" if item.subject else ""
        rows.append(("custom", "rejected", "", (item.fingerprint or "")[:16], f"{item.where}: {item.reason}{subject}"))
    print_table(rows)
    print()
    _diagnostics(store, sys.stdout, rejections=False)
    return EXIT_OK


def _diagnostics(store: TrustStore, out: TextIO, *, rejections: bool = True) -> None:
    """One line per problem, then one summary line."""
    for folder in store.missing_dirs:
        print(f"missing: CA folder {printable(folder)} does not exist", file=out)
    for problem in store.system_problems:
        print(f"system: {problem}", file=out)
    if rejections:
        for item in store.rejected:
            print(f"rejected: {describe(item)}", file=out)
        for cert in store.custom:
            for warning in cert.warnings:
                print(f"warning: {cert.where}: {warning} [{cert.subject}]", file=out)
    files = len({r.path for r in store.rejected})
    warned = sum(1 for c in store.custom if c.warnings)
    print(
        f"{plural(len(store.custom), 'custom CA')} accepted ({warned} with warnings), "
        f"{plural(len(store.rejected), 'entry', 'entries')} rejected in {plural(files, 'file')}, "
        f"{plural(len(store.duplicates), 'duplicate')}; "
        f"{plural(len(store.system), 'system root')} from {store.system_source}",
        file=out,
    )


def _as_json(store: TrustStore, *, include_system: bool) -> dict[str, Any]:
    certs = [*store.custom, *(store.system if include_system else ())]
    return {
        "ca_dirs": list(store.ca_dirs),
        "missing_dirs": list(store.missing_dirs),
        "system_source": store.system_source,
        "system_roots": len(store.system),
        "system_problems": list(store.system_problems),
        "certificates": [_cert_json(c) for c in certs],
        "duplicates": [
            {
                "path": d.path,
                "block": d.block,
                "subject": d.subject,
                "fingerprint": d.fingerprint,
                "counted_at": d.first,
            }
            for d in store.duplicates
        ],
        "rejected": [_rejection_json(r) for r in store.rejected],
    }


def _cert_json(cert: Certificate) -> dict[str, Any]:
    return {
        "origin": cert.origin,
        "verdict": "trusted" if cert.origin == "system" else ("warning" if cert.warnings else "accepted"),
        "subject": cert.subject,
        "issuer": cert.issuer,
        "not_after": cert.not_after.isoformat() if cert.not_after else None,
        "fingerprint": cert.fingerprint,
        "path": cert.path,
        "block": cert.block,
        "warnings": list(cert.warnings),
    }


def _rejection_json(item: Rejection) -> dict[str, Any]:
    return {
        "path": item.path,
        "block": item.block,
        "reason": item.reason,
        "subject": item.subject,
        "fingerprint": item.fingerprint,
    }


def _day(cert: Certificate) -> str:
    return cert.not_after.strftime("%Y-%m-%d") if cert.not_after else "?"
