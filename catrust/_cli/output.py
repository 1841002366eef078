"""What every command shares on the way out: exit codes, tables, JSON, and where log lines go."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

EXIT_OK = 0  # done, and nothing to report
EXIT_PROBLEMS = 1  # done, but something is wrong (a rejected file, an unusable certificate), or it could not be done
EXIT_USAGE = 2  # a bad argument or setting: nothing was done
EXIT_INTERRUPTED = 130  # Ctrl-C


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell, the last one left free (it holds subjects and reasons)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())


def print_json(data: dict[str, Any]) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def configure_logging(verbose: bool) -> None:
    """The CLI prints its own diagnostics; the library's log lines only with --verbose."""
    logger = logging.getLogger("catrust")
    logger.propagate = False
    if verbose:
        log_to_stderr(logging.DEBUG)
    else:
        logger.addHandler(logging.NullHandler())


def log_to_stderr(level: int) -> None:
    logger = logging.getLogger("catrust")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("catrust %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
