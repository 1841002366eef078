"""Plain records that flow between the steps: what was trusted, what was refused and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .._text import printable

Origin = Literal["custom", "system"]


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


def describe(item: Rejection, *, with_path: bool = True) -> str:
    """One line a person can act on: where, why, and which certificate."""
    where = item.where if with_path else (f"#{item.block}" if item.block is not None else "")
    text = f"{where}: {item.reason}" if where else item.reason
    if item.subject or item.fingerprint:
        text += f" [{item.subject or '?'}, sha256 {item.fingerprint or '?'}]"
    return text
