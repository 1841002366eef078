"""Plain records that flow between the steps: what was trusted, what was refused and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from cryptography import x509

Origin = Literal["custom", "system"]


def printable(text: str) -> str:
    """`text` safe for one line of output: control, format (bidi) and lone surrogate characters escaped.

    Subjects and file names come from the files being judged, so they must not be able to start
    a new line (forging a PEM block or a log line) or send codes to a terminal.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
                   for c in text)


def name_text(name: x509.Name) -> str:
    """A certificate name as RFC 4514 text, safe to print."""
    return printable(name.rfc4514_string())


@dataclass(frozen=True)
class Certificate:
    """One trust anchor. `der` is the exact certificate; everything else is for people and logs."""

    der: bytes
    fingerprint: str  # lowercase hex SHA-256 of `der`
    subject: str  # RFC 4514
    issuer: str
    not_after: datetime | None  # timezone-aware; None only for a system root cryptography cannot read
    origin: Origin
    path: str  # the file it came from, as named in the folder (not the symlink target)
    block: int  # 1-based position of the certificate in that file
    warnings: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{printable(self.path)} #{self.block}"


@dataclass(frozen=True)
class Rejection:
    """A file, folder entry or block that was not trusted, with a reason a person can act on."""

    path: str
    reason: str
    block: int | None = None
    subject: str | None = None
    fingerprint: str | None = None

    @property
    def where(self) -> str:
        path = printable(self.path)
        return path if self.block is None else f"{path} #{self.block}"


@dataclass(frozen=True)
class Duplicate:
    """A certificate seen again (same SHA-256 of the DER); it counts once, at `first`."""

    path: str
    block: int
    fingerprint: str
    subject: str
    first: str  # where the counted copy came from

    @property
    def where(self) -> str:
        return f"{printable(self.path)} #{self.block}"
