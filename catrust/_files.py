"""File I/O both subsystems share: reads that never block, writes no reader sees half done, a private cache.

Every file catrust reads (CA files, system bundles, component certificates and keys, a trigger's
CA) goes through `read`: nothing that is not a regular file is opened, regular files are opened
non-blocking and checked again once open (a FIFO swapped in at the last moment cannot hang the
process), and no more than a cap is read. Every file it writes goes through `write_atomic`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from typing import NamedTuple

from ._text import printable
from .errors import FileError

# The size caps, all here. A CA file, key or certificate chain is a few KiB; every file is read into memory.
MAX_FILE_SIZE = 1024 * 1024  # the default cap on one file; CATRUST_MAX_FILE_SIZE changes it for CA folders
MAX_FILE_SIZE_SETTING = 1 << 30  # the largest cap a setting may ask for: far beyond any CA file
MAX_SYSTEM_BUNDLE = 64 * MAX_FILE_SIZE  # a system bundle holds every root (Debian's is 0.2 MiB)

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


class StatKey(NamedTuple):
    """What a path resolved to, as far as stat can tell: equal keys mean (almost always) equal content."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int
    mode: int

    @classmethod
    def of(cls, st: os.stat_result) -> StatKey:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode)


class SourceFile(NamedTuple):
    path: str
    data: bytes
    key: StatKey  # of the open file the data was read from


class Unread(NamedTuple):
    """A file that was not read, and why, in words that follow its path."""

    path: str
    reason: str


def read(path: str, max_size: int) -> SourceFile | Unread:
    """One listed file's bytes and the stat data of exactly what was read, or why it was not read."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return Unread(path, _stat_failure(path, exc))
    problem = _not_readable(st, max_size)
    if problem:
        return Unread(path, problem)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return Unread(path, f"cannot be opened: {exc.strerror}")
    try:
        st = os.fstat(fd)  # it may have been swapped since stat()
        problem = _not_readable(st, max_size)
        if problem:
            return Unread(path, problem)
        chunks: list[bytes] = []
        total = 0
        while total <= max_size:
            chunk = os.read(fd, min(1 << 16, max_size + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except BlockingIOError:  # a "regular" file that blocks (/proc/kmsg, say): not a certificate file
        return Unread(path, "would block when read, so it is not an ordinary file; it was skipped")
    except OSError as exc:
        return Unread(path, f"cannot be read: {exc.strerror}")
    finally:
        os.close(fd)
    if total > max_size:
        return Unread(path, _too_big(max_size))
    return SourceFile(path, b"".join(chunks), StatKey.of(st))


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
    """`read`, for a file someone named: its bytes, or a FileError saying why not (never blocks)."""
    if not os.path.lexists(path):
        raise FileError(f"{what} {printable(path)} does not exist")
    result = read(path, max_size)
    if isinstance(result, Unread):
        raise FileError(f"{what} {printable(path)} {result.reason}")
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
    """Why a file must not be opened: not a regular file (a FIFO would hang, a device never ends), or over the cap."""
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
    return f"is {size_text}over the {max_size}-byte limit for one file (CATRUST_MAX_FILE_SIZE); it was not read"


def write_atomic(path: str, content: bytes, mode: int = 0o644) -> bool:
    """Write `content` to `path` via a temporary file in the same folder, fsync and rename.

    Left untouched (returns False) when it is ours and already holds exactly this content, so
    watchers and mtime-based caches see no change that is not one; a file another user planted
    with the right content is replaced all the same, or they could change it later. A symlink of our own (or root's) is
    followed, so it keeps naming the file it named; one planted by another user (in /tmp, say)
    is refused, as is anything but a regular file (a FIFO, a device): never opened or replaced.
    """
    if os.path.islink(path):
        owner = os.lstat(path).st_uid
        if hasattr(os, "geteuid") and owner not in (os.geteuid(), 0):
            raise FileError(
                f"cannot write {printable(path)}: it is a symbolic link owned by another user "
                f"(uid {owner}), which could point the write anywhere"
            )
        path = os.path.realpath(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise FileError(f"cannot write {printable(path)}: {exc.strerror}") from None
    else:
        if not stat.S_ISREG(st.st_mode):
            raise FileError(f"cannot write {printable(path)}: it is not a regular file, and is left as it is")
        existing = read(path, len(content))
        ours = not hasattr(os, "geteuid") or st.st_uid == os.geteuid()  # another user's copy is replaced
        if ours and isinstance(existing, SourceFile) and existing.data == content:
            return False
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".catrust-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise FileError(f"cannot write a bundle in {folder}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # mkstemp made it 0600
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise FileError(f"cannot write {path}: {exc.strerror}") from None
    _fsync_folder(folder)
    return True


def _fsync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every platform lets a folder be opened; the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def private_dir() -> str:
    """A cache folder only this user can write: XDG cache, else one in the temporary folder.

    Checked without following links (a name in /tmp that another user made a link could be
    re-pointed after the check): it must be a real folder of ours, mode 0700, and the path returned
    is the one checked.
    """
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    candidates = [os.path.join(xdg, "catrust"), os.path.join(tempfile.gettempdir(), f"catrust-{_uid()}")]
    refused = []
    for folder in candidates:
        try:
            problem = _make_private(folder)
        except OSError as exc:
            problem = exc.strerror or str(exc)
        if problem is None:
            return folder
        refused.append(f"{printable(folder)}: {problem}")
    raise FileError(
        "no private cache folder could be made (" + "; ".join(refused) + "): set CATRUST_BUNDLE_PATH to a writable file"
    )


def _make_private(folder: str) -> str | None:
    """Make `folder` (mode 0700) or check the one there; why it is not private, or None.

    Its parent is checked too: in a folder others can write, and that is not sticky like /tmp,
    another user could move ours away after the check and put a link in its place.
    """
    parent = os.path.dirname(folder)
    os.makedirs(parent, exist_ok=True)
    up = os.stat(parent)
    if hasattr(os, "getuid") and (
        up.st_uid not in (os.getuid(), 0)
        or (up.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not up.st_mode & stat.S_ISVTX)
    ):
        return f"its parent {printable(parent)} can be changed by other users"
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(folder, flags)
    except OSError as exc:
        return "it is a symbolic link or not a folder" if exc.errno in (errno.ELOOP, errno.ENOTDIR) else exc.strerror
    try:
        st = os.fstat(fd)
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return f"it belongs to another user (uid {st.st_uid})"
        if hasattr(os, "fchmod") and stat.S_IMODE(st.st_mode) != 0o700:
            os.fchmod(fd, 0o700)  # ours: make it private again rather than give up
    finally:
        os.close(fd)
    return None


def _uid() -> str:
    return str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
