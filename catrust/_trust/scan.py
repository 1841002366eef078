"""Step 1, which files: list the CA folders the way KEDA does, but report every entry it skips.

Not recursive; only names starting with ".." are skipped, as KEDA does: those are the kubelet's
own (`..data` -> `..2026_…/`, visible names linked through `..data`), so a Secret/ConfigMap
mount counts each certificate once. Every other name, `.corp.pem` included, is read or reported.
Symlinks to regular files are followed. Reading a listed file is `_files.read`'s job.

Listing only stats (it never opens a file), and its result is the folders' fingerprint: equal
listings mean unchanged folders, so checking for a change costs no reading or parsing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .._files import StatKey

# Timestamps are coarse (a kernel tick; seconds on some filesystems): a file changed this recently
# can change again without its stat data changing, so it counts as unchanged only once it is older.
FRESH_NS = 2_000_000_000


class Entry(NamedTuple):
    name: str
    key: StatKey | None  # what the name resolves to (symlinks, `..data` included, followed); None: stat failed


@dataclass(frozen=True)
class Folder:
    path: str
    entries: tuple[Entry, ...] = ()  # visible names, sorted
    key: StatKey | None = None  # the folder's own: its times move when names come and go, even and back
    missing: bool = False
    problem: str | None = None  # why it exists but cannot be listed


@dataclass(frozen=True)
class Listing:
    folders: tuple[Folder, ...]
    taken_ns: int = field(compare=False)  # wall clock when listed, to tell fresh entries (see FRESH_NS)

    @property
    def missing_dirs(self) -> list[str]:
        return [f.path for f in self.folders if f.missing]


def list_folders(dirs: Sequence[str]) -> Listing:
    taken = time.time_ns()
    return Listing(tuple(_list(folder) for folder in dirs), taken)


def _list(folder: str) -> Folder:
    try:
        key = StatKey.of(os.stat(folder))
        with os.scandir(folder) as found:
            entries = [Entry(e.name, _entry_key(e)) for e in found if not e.name.startswith("..")]
    except FileNotFoundError:
        return Folder(folder, missing=True)
    except NotADirectoryError:
        return Folder(folder, problem="is a file, not a folder: pass the folder that holds it")
    except OSError as exc:
        return Folder(folder, problem=f"the folder cannot be listed: {exc.strerror}")
    entries.sort()
    return Folder(folder, tuple(entries), key)


def _entry_key(entry: os.DirEntry[str]) -> StatKey | None:
    try:
        return StatKey.of(entry.stat())
    except OSError:
        return None


def is_fresh(key: StatKey, taken_ns: int) -> bool:
    """Changed within FRESH_NS of `taken_ns`: its stat data does not yet prove its content."""
    return max(key.mtime_ns, key.ctime_ns) > taken_ns - FRESH_NS
