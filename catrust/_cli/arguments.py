"""Argument types shared by every command: each refuses a bad value with one line saying why (exit 2)."""

from __future__ import annotations

import argparse
import math
import re
from datetime import timedelta

from .._files import MAX_FILE_SIZE_SETTING

MAX_INTERVAL = 86400.0  # a day: a watcher checking less often is not watching (and Event.wait overflows near 1e9)
MAX_WITHIN = timedelta(days=36500)  # a century: more always renews, and timedelta overflows near 1e9 days
_DURATION = re.compile(r"(\d+)([dh])")


def nonempty(text: str) -> str:
    """A path or name argument: an empty one is a mistake (an unset variable in a script, say)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and 0 < value <= MAX_INTERVAL):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds, at most {MAX_INTERVAL:g}")
    return value


def file_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of bytes") from None
    if not 0 < value <= MAX_FILE_SIZE_SETTING:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of bytes, at most {MAX_FILE_SIZE_SETTING}")
    return value


def duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 90d or 2160h")
    amount, unit = int(match.group(1)), match.group(2)
    if amount > MAX_WITHIN.days * (1 if unit == "d" else 24):
        raise argparse.ArgumentTypeError(f"{text!r} is longer than {MAX_WITHIN.days}d")
    return timedelta(days=amount) if unit == "d" else timedelta(hours=amount)


def name_text(text: str) -> str:
    """Text that goes into a certificate name: not empty, and encodable (argv may hold undecodable bytes)."""
    nonempty(text)
    try:
        text.encode()
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError("is not valid UTF-8 text") from None
    return text


def common_name(text: str) -> str:
    if len(name_text(text)) > 64:  # X.509's upper bound for a common name
        raise argparse.ArgumentTypeError("is longer than 64 characters")
    return text
