"""Step 1, which files: list the CA folders the way KEDA does, but report every entry it skips.

Not recursive; only names starting with ".." are skipped, as KEDA does: those are the kubelet's
own (`..data` -> `..2026_…/`, visible names linked through `..data`), so a Secret/ConfigMap
mount counts each certificate once. Every other name, `.corp.pem` included, is read or reported.
Symlinks to regular files are followed. Nothing that is not a regular file is ever opened, and
regular files are opened non-blocking and checked again after opening,
so a FIFO swapped in at the last moment cannot hang the process.

Listing only stats (it never opens a file), and its result is the folders' fingerprint: equal
listings mean unchanged folders, so checking for a change costs no reading or parsing.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ..errors import CatrustError
from .model import Rejection, printable

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
# Timestamps are coarse (a kernel tick; seconds on some filesystems): a file changed this recently
# can change again without its stat data changing, so it counts as unchanged only once it is older.
FRESH_NS = 2_000_000_000

StatKey = tuple[int, int, int, int, int, int]  # device, inode, size, mtime ns, ctime ns, mode


class Entry(NamedTuple):
    name: str
    key: StatKey | None  # what the name resolves to (symlinks, `..data` included, followed); None: stat failed


@dataclass(frozen=True)
class Folder:
    path: str
    entries: tuple[Entry, ...] = ()  # visible names, sorted
    key: StatKey | None = None  # the folder's own: its times move when names come and go, even and back
    missing: bool = False
    problem: Rejection | None = None  # it exists but cannot be listed


@dataclass(frozen=True)
class Listing:
    folders: tuple[Folder, ...]
    taken_ns: int = field(compare=False)  # wall clock when listed, to tell fresh entries (see FRESH_NS)

    @property
    def missing_dirs(self) -> list[str]:
        return [f.path for f in self.folders if f.missing]


@dataclass(frozen=True)
class SourceFile:
    path: str
    data: bytes
    key: StatKey  # of the open file the data was read from


def list_folders(dirs: Sequence[str]) -> Listing:
    taken = time.time_ns()
    return Listing(tuple(_list(folder) for folder in dirs), taken)


def _list(folder: str) -> Folder:
    try:
        key = stat_key(os.stat(folder))
        with os.scandir(folder) as found:
            entries = [Entry(e.name, _entry_key(e)) for e in found if not e.name.startswith("..")]
    except FileNotFoundError:
        return Folder(folder, missing=True)
    except NotADirectoryError:
        return Folder(folder, problem=Rejection(folder, "is a file, not a folder: pass the folder that holds it"))
    except OSError as exc:
        return Folder(folder, problem=Rejection(folder, f"the folder cannot be listed: {exc.strerror}"))
    entries.sort()
    return Folder(folder, tuple(entries), key)


def _entry_key(entry: os.DirEntry[str]) -> StatKey | None:
    try:
        return stat_key(entry.stat())
    except OSError:
        return None


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode)


def is_fresh(key: StatKey, taken_ns: int) -> bool:
    """Changed within FRESH_NS of `taken_ns`: its stat data does not yet prove its content."""
    return max(key[3], key[4]) > taken_ns - FRESH_NS


def read(path: str, max_size: int) -> SourceFile | Rejection:
    """One listed file's bytes and the stat data of exactly what was read, or why it was not read."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return Rejection(path, _stat_failure(path, exc))
    problem = _not_readable(st, max_size)
    if problem:
        return Rejection(path, problem)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return Rejection(path, f"cannot be opened: {exc.strerror}")
    try:
        st = os.fstat(fd)  # it may have been swapped since stat()
        problem = _not_readable(st, max_size)
        if problem:
            return Rejection(path, problem)
        chunks: list[bytes] = []
        total = 0
        while total <= max_size:
            chunk = os.read(fd, min(1 << 16, max_size + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except BlockingIOError:  # a "regular" file that blocks (/proc/kmsg, say): not a certificate file
        return Rejection(path, "would block when read, so it is not an ordinary file; it was skipped")
    except OSError as exc:
        return Rejection(path, f"cannot be read: {exc.strerror}")
    finally:
        os.close(fd)
    if total > max_size:
        return Rejection(path, _too_big(max_size))
    return SourceFile(path, b"".join(chunks), stat_key(st))


def starts_with(path: str, prefix: bytes) -> bool:
    """Whether a regular file begins with `prefix`, reading no more than that and never blocking."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.read(fd, len(prefix)) == prefix
    except OSError:
        return False
    finally:
        os.close(fd)


def read_bytes(path: str, max_size: int, what: str) -> bytes:
    """`read`, for a file someone named: its bytes, or a CatrustError saying why not (never blocks)."""
    if not os.path.lexists(path):
        raise CatrustError(f"{what} {printable(path)} does not exist")
    result = read(path, max_size)
    if isinstance(result, Rejection):
        raise CatrustError(f"{what} {printable(path)} {result.reason}")
    return result.data


def _stat_failure(path: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link that loops back on itself"
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return f"is a dangling symbolic link (its target {os.readlink(path)!r} does not exist)"
    if exc.errno == errno.ENOENT:
        return "disappeared while the folder was being read"
    return f"cannot be read: {exc.strerror}"


def _not_readable(st: os.stat_result, max_size: int) -> str | None:
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return _too_big(max_size, st.st_size) if st.st_size > max_size else None
    if stat.S_ISDIR(mode):
        return "is a folder; folders are not searched recursively: put its certificates directly in the CA folder"
    if stat.S_ISFIFO(mode):
        kind = "a named pipe (FIFO)"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    else:
        kind = "not a regular file"
    return f"is {kind}, not a regular file; it was not opened"


def _too_big(max_size: int, size: int | None = None) -> str:
    size_text = f"{size} bytes, " if size is not None else ""
    return (f"is {size_text}over the {max_size}-byte limit for one file "
            "(CATRUST_MAX_FILE_SIZE); it was not read")
