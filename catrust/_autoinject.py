"""Imported by the wheel's `catrust-inject.pth` at interpreter start, only when `CATRUST_INJECT` is set.

The `.pth` line itself reads only that variable, so a process without it imports nothing of catrust.
Nothing here may stop the interpreter or print a traceback: a bad setting gets one line on stderr
and leaves Python's own trust as it was.
"""

from __future__ import annotations

import os
import sys

from ._inject import inject
from ._options import parse_bool
from ._text import exception_text
from .errors import CatrustError


def run() -> None:
    value = os.environ.get("CATRUST_INJECT", "")
    try:
        if parse_bool(value, "CATRUST_INJECT"):
            inject()
    except CatrustError as exc:
        print(f"catrust: {exc}; Python's default trust is unchanged", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - a bug must not cost the program its start
        print(
            f"catrust: CATRUST_INJECT is set, but inject() failed ({exception_text(exc)}); "
            "Python's default trust is unchanged",
            file=sys.stderr,
        )


run()
