"""`catrust`: the command line, a thin layer over the library. One module per command group:

trust.py   bundle, list, check, env, write, watch: the CA folders' trust
certs.py   certs generate | rotate | status | ca-bundle: component certificates
arguments.py and output.py: argument types, exit codes, tables and JSON they share
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from .._options import SYSTEM_MODES
from ..errors import CatrustError, ConfigError
from . import arguments, certs, trust
from .output import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    configure_logging,
)


class _Parser(argparse.ArgumentParser):
    """A usage error is one line on stderr, exit 2: the usage block buries it in a pod's log."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"catrust: error: {message} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(args.verbose)
    try:
        return int(args.command(args))
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
        return EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="catrust", description="Show, check and write the trust bundle: system roots plus the CA folders."
    )
    parser.add_argument(
        "--ca-dir",
        action="append",
        type=arguments.nonempty,
        metavar="DIR",
        help="a CA folder (repeatable; default: $CATRUST_CA_DIRS, else /custom/ca)",
    )
    parser.add_argument(
        "--system",
        choices=SYSTEM_MODES,
        default="auto",
        help="where system roots come from (default: auto = OS bundle, else certifi)",
    )
    parser.add_argument(
        "--max-file-size",
        type=arguments.file_size,
        metavar="BYTES",
        help="skip files larger than this (default: $CATRUST_MAX_FILE_SIZE, else 1 MiB)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="also print the library's log lines")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    trust.add_parsers(commands)
    certs.add_parsers(commands)
    return parser
