"""Steps 2 and 3 for one file: parse it and judge every certificate in it, the unit a reload caches."""

from __future__ import annotations

import hashlib
import warnings
from datetime import datetime
from typing import NamedTuple

from . import policy
from .model import Certificate, Rejection
from .parse import notes, parse

FileVerdicts = tuple[Certificate | Rejection, ...]  # what one folder entry gives, in block order


class Judged(NamedTuple):
    verdicts: FileVerdicts
    recheck_at: datetime | None  # when time alone changes a verdict (validity starts, nears its end, ends)


def judge_file(path: str, data: bytes, now: datetime) -> Judged:
    """Parse one file and judge each certificate in it: the unit a reload caches."""
    parsed = parse(path, data)
    out: list[Certificate | Rejection] = list(parsed.rejected)
    moments: list[datetime] = []
    for block in parsed.blocks:
        fingerprint = hashlib.sha256(block.der).hexdigest()
        if block.cert is None:
            out.append(
                Rejection(
                    path, block.error or "is not a readable certificate", block=block.number, fingerprint=fingerprint
                )
            )
            continue
        moments += [t for t in (block.not_before, block.not_after - policy.EXPIRY_WARNING, block.not_after) if t > now]
        with warnings.catch_warnings(record=True) as caught:  # reading extensions can warn too (an AKI serial)
            warnings.simplefilter("always")
            verdict = policy.judge(block.cert, now)
        if verdict.rejected:
            out.append(
                Rejection(path, verdict.rejected, block=block.number, subject=block.subject, fingerprint=fingerprint)
            )
            continue
        found = block.notes + notes(str(w.message) for w in caught)
        out.append(
            Certificate(
                der=block.der,
                fingerprint=fingerprint,
                subject=block.subject,
                issuer=block.issuer,
                not_after=block.not_after,
                origin="custom",
                path=path,
                block=block.number,
                warnings=verdict.warnings + tuple(f"cryptography: {n}" for n in dict.fromkeys(found)),
            )
        )
    out.sort(key=lambda item: item.block or 0)
    return Judged(tuple(out), min(moments, default=None))
