"""Step 1, which files: list the CA folders the way KEDA does, but report every entry it skips.

Not recursive; names starting with "." are skipped, which is what makes a Kubernetes
Secret/ConfigMap mount (`..data` -> `..2026_…/`, visible names linked through `..data`) count
each certificate once. Symlinks to regular files are followed. Nothing that is not a regular
file is ever opened, and regular files are opened non-blocking and checked again after opening,
so a FIFO swapped in at the last moment cannot hang the process.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field

from .model import Rejection

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


@dataclass(frozen=True)
class SourceFile:
    path: str
    data: bytes


@dataclass
class ScanResult:
    entries: list[SourceFile | Rejection] = field(default_factory=list)  # in folder order, then by name
    missing_dirs: list[str] = field(default_factory=list)


def scan(dirs: tuple[str, ...], max_size: int) -> ScanResult:
    result = ScanResult()
    for folder in dirs:
        try:
            names = sorted(os.listdir(folder))
        except FileNotFoundError:
            result.missing_dirs.append(folder)
            continue
        except NotADirectoryError:
            result.entries.append(Rejection(folder, "is a file, not a folder: pass the folder that holds it"))
            continue
        except OSError as exc:
            result.entries.append(Rejection(folder, f"the folder cannot be listed: {exc.strerror}"))
            continue
        for name in names:
            if name.startswith("."):
                continue
            result.entries.append(_read(os.path.join(folder, name), max_size))
    return result


def _read(path: str, max_size: int) -> SourceFile | Rejection:
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
        problem = _not_readable(os.fstat(fd), max_size)  # it may have been swapped since stat()
        if problem:
            return Rejection(path, problem)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_size + 1)
    except OSError as exc:
        return Rejection(path, f"cannot be read: {exc.strerror}")
    finally:
        os.close(fd)
    if len(data) > max_size:
        return Rejection(path, _too_big(max_size))
    return SourceFile(path, data)


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
