"""The component-certificate folder: four files, read as one set and replaced as one set.

The layout is the kubelet's for Secret volumes, so a folder catrust writes looks like a mounted
`kedaorg-certs` Secret, and a mounted Secret reads like a folder catrust wrote:

    DIR/..2025_01_31_12_00_00.k2x9q/   one generation: ca.crt ca.key tls.crt tls.key, never edited
    DIR/..data -> ..2025_01_31_12_00_00.k2x9q
    DIR/ca.crt -> ..data/ca.crt        (likewise ca.key, tls.crt, tls.key)

A new set goes into a new generation folder and becomes current when a fresh `..data` link is
renamed over the old one: one atomic step, so a path lookup sees the old set or the new one,
never a mix. A reader that needs several files resolves `..data` once and reads them all from
that generation (`read` does), so it never pairs a key with another generation's certificate.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from .._files import MAX_FILE_SIZE, StatKey, read_bytes, write_atomic
from .._text import printable
from ..errors import CatrustError, CertFolderError, FileError

log = logging.getLogger("catrust")

CA_CRT, CA_KEY, TLS_CRT, TLS_KEY = "ca.crt", "ca.key", "tls.crt", "tls.key"
NAMES = (CA_CRT, CA_KEY, TLS_CRT, TLS_KEY)
KEY_FILES = (CA_KEY, TLS_KEY)
DATA = "..data"
_LOCK = "..catrust.lock"
_GENERATION = re.compile(r"\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.")
_READ_ATTEMPTS = 3

# "generations": `..data` exists (written by catrust, or a mounted Secret); "plain": files someone
# put there (never overwritten); "empty": nothing usable yet, so catrust may write.
Layout = Literal["generations", "plain", "empty"]
Signature = tuple[StatKey | None, ...]  # per file of CA_CRT, TLS_CRT, TLS_KEY; None if absent


@dataclass(frozen=True)
class CertFiles:
    """One consistent read of the folder: every file comes from the same generation."""

    cert_dir: str
    folder: str  # where the files were read from: the current generation, or cert_dir itself
    layout: Layout
    contents: Mapping[str, bytes]  # the files present, by name
    links_ok: bool  # every visible name is a link through `..data` (always True outside "generations")

    def path(self, name: str) -> str:
        return os.path.join(self.folder, name)


def read(cert_dir: str) -> CertFiles:
    """Read the current set. Retried when `..data` moves while reading, so the set is never mixed."""
    if not os.path.isdir(cert_dir):
        raise CertFolderError(f"certificate folder {cert_dir} does not exist or is not a folder")
    check_owner(cert_dir)
    for _ in range(_READ_ATTEMPTS):
        target = _data_target(cert_dir)
        folder = os.path.join(cert_dir, target) if target else cert_dir
        contents = {name: data for name in NAMES if (data := _read_file(os.path.join(folder, name))) is not None}
        if _data_target(cert_dir) == target:
            if target:
                links = all(_link_target(os.path.join(cert_dir, n)) == f"{DATA}/{n}" for n in NAMES)
                return CertFiles(cert_dir, folder, "generations", contents, links)
            layout: Layout = "plain" if any(_is_ours(cert_dir, n) is False for n in NAMES) else "empty"
            return CertFiles(cert_dir, folder, layout, contents, True)
    raise CertFolderError(f"the certificates in {cert_dir} changed {_READ_ATTEMPTS} times while being read: try again")


def signature(cert_dir: str) -> Signature:
    """Cheap change detection (three stat calls): differs whenever a file or the generation changes."""
    out: list[StatKey | None] = []
    for name in (CA_CRT, TLS_CRT, TLS_KEY):
        try:
            st = os.stat(os.path.join(cert_dir, name))
        except OSError:
            out.append(None)
        else:
            out.append(StatKey.of(st))
    return tuple(out)


@contextlib.contextmanager
def locked(cert_dir: str) -> Iterator[None]:
    """Serialise writers (an operator and a `catrust certs rotate` cron job, say) on one folder.

    Without it one writer's clean-up could delete the generation another is about to publish.
    POSIX only, like the symlink layout itself.
    """
    import fcntl

    check_owner(cert_dir)
    flags = os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0)
    try:  # never through a link someone planted, never blocking on a FIFO put in its place
        fd = os.open(os.path.join(cert_dir, _LOCK), flags, 0o600)
    except OSError as exc:
        raise _cannot_write(cert_dir, exc.strerror) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _cannot_write(cert_dir, f"{_LOCK} is not a regular file")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def check_owner(cert_dir: str) -> None:
    """Refuse a folder another local user could have filled: keys and CAs read from it are trusted.

    It must belong to this user or to root, and be writable by nobody else, except on a read-only
    mount (the kubelet mounts Secret volumes so). A sticky folder is not enough: another user
    could still add `..data`, pointing the reader at certificates of their own.
    """
    if not hasattr(os, "geteuid"):
        return
    st = os.stat(cert_dir)
    if st.st_uid not in (os.geteuid(), 0):
        raise CertFolderError(
            f"certificate folder {printable(cert_dir)} belongs to another user (uid {st.st_uid}), "
            "who could replace its certificates and keys: use a folder of your own"
        )
    open_to_others = st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if open_to_others and not _read_only(cert_dir):
        raise CertFolderError(
            f"certificate folder {printable(cert_dir)} is writable by other users (mode "
            f"{stat.S_IMODE(st.st_mode):o}), who could replace its certificates and keys: "
            f"chmod go-w {printable(cert_dir)}"
        )


def _read_only(path: str) -> bool:
    """On a read-only mount (how the kubelet mounts Secret volumes) nobody can change anything."""
    return hasattr(os, "statvfs") and bool(os.statvfs(path).f_flag & getattr(os, "ST_RDONLY", 0))


def publish(cert_dir: str, contents: Mapping[str, bytes], now: datetime) -> str:
    """Make `contents` the current set in one atomic step; returns the new generation's folder.

    Any failure before the swap removes the new generation and raises: the previous set stays
    current and untouched. Keys are written 0600, certificates 0644.
    """
    try:
        generation = tempfile.mkdtemp(prefix=now.strftime("..%Y_%m_%d_%H_%M_%S."), dir=cert_dir)
    except OSError as exc:
        raise _cannot_write(cert_dir, exc.strerror) from None
    name = os.path.basename(generation)
    try:
        os.chmod(generation, 0o755)
        for file, data in contents.items():
            write_atomic(os.path.join(generation, file), data, 0o600 if file in KEY_FILES else 0o644)
        for file in NAMES:
            _link(cert_dir, file, f"{DATA}/{file}")
        _link(cert_dir, DATA, name)  # the commit point
    except (OSError, CatrustError) as exc:
        shutil.rmtree(generation, ignore_errors=True)
        raise _cannot_write(cert_dir, exc.strerror if isinstance(exc, OSError) else str(exc)) from None
    _remove_old_generations(cert_dir, keep=name)
    return generation


def _cannot_write(cert_dir: str, reason: str | None) -> CertFolderError:
    return CertFolderError(
        f"cannot write certificates in {cert_dir}: {reason}; the previous certificates stay in place"
    )


def _link(cert_dir: str, name: str, target: str) -> None:
    """Point `name` at `target` by renaming a fresh link over it: atomic, never a dangling moment."""
    path = os.path.join(cert_dir, name)
    if _link_target(path) == target:
        return
    if os.path.lexists(path) and not os.path.islink(path):
        raise CertFolderError(f"{path} is a file catrust did not write: not replacing it")
    tmp = os.path.join(cert_dir, f"..{name.lstrip('.')}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.symlink(target, tmp)
    os.replace(tmp, path)


def _remove_old_generations(cert_dir: str, keep: str) -> None:
    """Delete every generation but the current one; readers that lost theirs re-read (see `read`)."""
    for entry in os.scandir(cert_dir):
        if entry.name != keep and _GENERATION.match(entry.name) and entry.is_dir(follow_symlinks=False):
            try:
                shutil.rmtree(entry.path)
            except OSError as exc:
                log.warning("could not remove the old certificate generation %s: %s", entry.path, exc.strerror)


def _data_target(cert_dir: str) -> str | None:
    return _link_target(os.path.join(cert_dir, DATA))


def _link_target(path: str) -> str | None:
    try:
        return os.readlink(path)
    except OSError:  # missing, or not a link
        return None


def _is_ours(cert_dir: str, name: str) -> bool | None:
    """None when absent; True for a link through `..data` (left by an interrupted first write)."""
    path = os.path.join(cert_dir, name)
    if not os.path.lexists(path):
        return None
    return _link_target(path) == f"{DATA}/{name}"


def _read_file(path: str) -> bytes | None:
    """The file's bytes, None when it does not exist; never blocks, never reads more than a certificate file holds.

    A file that vanishes while read is absent too: a swap of `..data` removed its generation, and
    `read` notices the swap and reads again.
    """
    try:
        return read_bytes(path, MAX_FILE_SIZE, "the file")
    except FileError as exc:
        if not os.path.exists(path):
            return None
        raise CertFolderError(str(exc)) from None  # a FIFO or an oversized file makes the set unusable
