"""The bundle file: the merged anchors as PEM, written so that no reader ever sees half a file."""

from __future__ import annotations

import contextlib
import os
import stat
import ssl
import tempfile
from collections.abc import Iterable

from ..errors import CatrustError
from .model import Certificate, printable
from .scan import SourceFile, read


MARKER = "# catrust bundle"


def render(certificates: Iterable[Certificate]) -> str:
    """Only CERTIFICATE blocks, in the store's order; custom ones carry `#` lines saying where from.

    The first line marks the file as catrust's, so that catrust never reads it back as *system*
    roots (through SSL_CERT_FILE, as `catrust env` sets it), where its custom CAs would skip policy
    and could never be removed.
    """
    parts = [f"{MARKER}: written by catrust from the CA folders it judged; not a system bundle\n"]
    for cert in certificates:
        if cert.origin == "custom":
            expiry = cert.not_after.strftime("%Y-%m-%d") if cert.not_after else "unknown"
            parts.append(f"# {_ascii(cert.subject)}\n# source: {_ascii(cert.where)}\n"
                         f"# expires: {expiry}\n# sha256: {cert.fingerprint}\n")
        parts.append(ssl.DER_cert_to_PEM_cert(cert.der))
    return "".join(parts)


def _ascii(text: str) -> str:
    """Comment text is already one printable line; escape what is not ASCII so the bundle is plain ASCII."""
    return text.encode("ascii", "backslashreplace").decode("ascii")


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
            raise CatrustError(f"cannot write {printable(path)}: it is a symbolic link owned by another user "
                               f"(uid {owner}), which could point the write anywhere")
        path = os.path.realpath(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CatrustError(f"cannot write {printable(path)}: {exc.strerror}") from None
    else:
        if not stat.S_ISREG(st.st_mode):
            raise CatrustError(f"cannot write {printable(path)}: it is not a regular file, and is left as it is")
        existing = read(path, len(content))
        ours = not hasattr(os, "geteuid") or st.st_uid == os.geteuid()  # another user's copy is replaced
        if ours and isinstance(existing, SourceFile) and existing.data == content:
            return False
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".catrust-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise CatrustError(f"cannot write a bundle in {folder}: {exc.strerror}") from None
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
        raise CatrustError(f"cannot write {path}: {exc.strerror}") from None
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
