"""`catrust`: print, check, write and keep current the effective trust bundle. A thin layer over the store."""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn, TextIO

from .. import _options as settings
from .._exported_env import format_json, format_sh, variables
from .._files import MAX_FILE_SIZE_SETTING
from .._options import SYSTEM_MODES, Options
from .._process_trust import bundle_file_for
from .._text import printable
from .._trust.bundle import BundleFile
from .._trust.loader import Loader
from .._trust.model import Certificate, Rejection, describe
from .._trust.reloader import Reloader
from .._trust.store import TrustStore
from ..errors import CatrustError, ConfigError
from . import certs as cli_certs

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
MAX_INTERVAL = 86400.0  # a day: a watcher checking less often is not watching (and Event.wait overflows near 1e9)


class _Parser(argparse.ArgumentParser):
    """A usage error is one line on stderr, exit 2: the usage block buries it in a pod's log."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"catrust: error: {message} (see {self.prog} --help)\n")


def _interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and 0 < value <= MAX_INTERVAL):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds, at most {MAX_INTERVAL:g}")
    return value


def _file_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of bytes") from None
    if not 0 < value <= MAX_FILE_SIZE_SETTING:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of bytes, at most {MAX_FILE_SIZE_SETTING}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        if not args.needs_store:  # `certs`: one certificate folder, not the CA folders
            return int(args.command(args))
        loader = Loader(Options.resolve(args.ca_dir or None, system=args.system, max_file_size=args.max_file_size))
        command: Callable[[Loader, argparse.Namespace], int] = args.command
        return command(loader, args)
    except ConfigError as exc:
        print(f"catrust: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CatrustError as exc:
        print(f"catrust: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except BrokenPipeError:  # `catrust bundle | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="catrust", description="Show, check and write the trust bundle: system roots plus the CA folders.")
    parser.add_argument("--ca-dir", action="append", type=cli_certs.nonempty, metavar="DIR",
                        help="a CA folder (repeatable; default: $CATRUST_CA_DIRS, else /custom/ca)")
    parser.add_argument("--system", choices=SYSTEM_MODES, default="auto",
                        help="where system roots come from (default: auto = OS bundle, else certifi)")
    parser.add_argument("--max-file-size", type=_file_size, metavar="BYTES",
                        help="skip files larger than this (default: $CATRUST_MAX_FILE_SIZE, else 1 MiB)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print the library's log lines")
    parser.set_defaults(needs_store=True)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    bundle = commands.add_parser("bundle", help="print the effective bundle (diagnostics on stderr)")
    bundle.set_defaults(command=_bundle)
    listing = commands.add_parser("list", help="every certificate and every rejected file, with reasons")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(command=_list)
    check = commands.add_parser("check", help="exit 0 if every custom file is accepted, 1 if not")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(command=_check)
    env = commands.add_parser("env", help="environment variables pointing SDKs and programs at the bundle")
    env.add_argument("--format", choices=("sh", "json"), default="sh",
                     help="sh: export lines safe to eval (default); json: an object")
    env.set_defaults(command=_env)
    write = commands.add_parser("write", help="write the bundle atomically to PATH")
    write.add_argument("path", type=cli_certs.nonempty, metavar="PATH")
    write.set_defaults(command=_write)
    watch = commands.add_parser("watch", help="keep the bundle at PATH current as the folders change (sidecar)")
    watch.add_argument("--out", required=True, type=cli_certs.nonempty, metavar="PATH",
                       help="the bundle file to keep current")
    watch.add_argument("--interval", type=_interval, default=settings.DEFAULT_WATCH_INTERVAL, metavar="S",
                       help=f"seconds between checks (default: {settings.DEFAULT_WATCH_INTERVAL:g})")
    watch.set_defaults(command=_watch)
    cli_certs.add_parser(commands)
    return parser


def _configure_logging(verbose: bool) -> None:
    """The CLI prints its own diagnostics; the library's log lines only with --verbose."""
    logger = logging.getLogger("catrust")
    logger.propagate = False
    if verbose:
        _log_to_stderr(logging.DEBUG)
    else:
        logger.addHandler(logging.NullHandler())


def _log_to_stderr(level: int) -> None:
    logger = logging.getLogger("catrust")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("catrust %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)


def _bundle(loader: Loader, args: argparse.Namespace) -> int:
    store = TrustStore.first_look(loader)
    sys.stdout.write(store.pem())
    sys.stdout.flush()
    _diagnostics(store, sys.stderr)
    return EXIT_OK


def _write(loader: Loader, args: argparse.Namespace) -> int:
    store = TrustStore.first_look(loader)
    path = store.write_bundle(args.path)
    _diagnostics(store, sys.stderr)
    print(_wrote(path, store))
    return EXIT_OK


def _env(loader: Loader, args: argparse.Namespace) -> int:
    """The same files a process using catrust would point at, so children share what it trusts."""
    store = TrustStore.first_look(loader)
    merged = store.write_bundle(bundle_file_for(loader))
    custom = store.write_custom_bundle(bundle_file_for(loader, "ca-custom")) if store.custom else None
    env = variables(merged, custom)
    sys.stdout.write(format_json(env) if args.format == "json" else format_sh(env))
    _diagnostics(store, sys.stderr)
    return EXIT_OK


def _watch(loader: Loader, args: argparse.Namespace) -> int:
    """Sidecar: write the bundle, then rewrite it (atomically) on every applied change until signalled.

    One stdout line per write; the library's warnings (rejected files, CAs kept through a
    half-finished update, a failed rewrite that keeps the previous bundle) on stderr. SIGTERM or
    SIGINT ends the loop between checks, exit 0.
    """
    interval = settings.watch_interval(args.interval)
    if not args.verbose:
        _log_to_stderr(logging.WARNING)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    bundle = BundleFile(args.out)
    follower = Reloader(loader, bundle=bundle)  # a first write that fails raises: a wrong path, not a passing problem
    shown: TrustStore | None = None
    while True:
        follower.check()
        if bundle.store is not None and bundle.store is not shown:
            shown = bundle.store
            print(f"generation {follower.generation}: {_wrote(args.out, shown)}", flush=True)
        if stopping.wait(interval):
            return EXIT_OK


def _wrote(path: str, store: TrustStore) -> str:
    return (f"wrote {path}: {len(store.certificates)} certificates ({len(store.custom)} custom, "
            f"{len(store.certificates) - len(store.custom)} system)")


def _check(loader: Loader, args: argparse.Namespace) -> int:
    store = TrustStore.first_look(loader)
    ok = not store.rejected and not store.missing_dirs
    if args.json:
        _print_json({"ok": ok, **_as_json(store, include_system=False)})
    else:
        _diagnostics(store, sys.stdout)
        if ok:
            print("ok: every custom CA file is accepted")
    return EXIT_OK if ok else EXIT_PROBLEMS


def _list(loader: Loader, args: argparse.Namespace) -> int:
    store = TrustStore.first_look(loader)
    if args.json:
        _print_json(_as_json(store, include_system=True))
        return EXIT_OK
    rows = [("ORIGIN", "VERDICT", "EXPIRES", "SHA-256", "SUBJECT / SOURCE")]
    for cert in [*store.system, *store.custom]:
        verdict = "trusted" if cert.origin == "system" else ("warning" if cert.warnings else "accepted")
        source = "" if cert.origin == "system" else f"  ({cert.where})"
        rows.append((cert.origin, verdict, _day(cert), cert.fingerprint[:16], cert.subject + source))
        rows += [("", "", "", "", f"! {w}") for w in cert.warnings]
    for dup in store.duplicates:
        rows.append(("custom", "duplicate", "", dup.fingerprint[:16],
                     f"{dup.subject}  ({dup.where}, counted once at {dup.first})"))
    for item in store.rejected:
        subject = f"  [{item.subject}]" if item.subject else ""
        rows.append(("custom", "rejected", "", (item.fingerprint or "")[:16], f"{item.where}: {item.reason}{subject}"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4])
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
    print(f"{_n(len(store.custom), 'custom CA')} accepted ({warned} with warnings), "
          f"{_n(len(store.rejected), 'entry', 'entries')} rejected in {_n(files, 'file')}, "
          f"{_n(len(store.duplicates), 'duplicate')}; "
          f"{_n(len(store.system), 'system root')} from {store.system_source}", file=out)


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def _as_json(store: TrustStore, *, include_system: bool) -> dict[str, Any]:
    certs = [*store.custom, *(store.system if include_system else ())]
    return {
        "ca_dirs": list(store.ca_dirs),
        "missing_dirs": list(store.missing_dirs),
        "system_source": store.system_source,
        "system_roots": len(store.system),
        "system_problems": list(store.system_problems),
        "certificates": [_cert_json(c) for c in certs],
        "duplicates": [{"path": d.path, "block": d.block, "subject": d.subject,
                        "fingerprint": d.fingerprint, "counted_at": d.first} for d in store.duplicates],
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
    return {"path": item.path, "block": item.block, "reason": item.reason,
            "subject": item.subject, "fingerprint": item.fingerprint}


def _print_json(data: dict[str, Any]) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _day(cert: Certificate) -> str:
    return cert.not_after.strftime("%Y-%m-%d") if cert.not_after else "?"
