"""Steps 1 to 3, driven from one place: list the folders, then read, parse and judge what changed.

A Loader is one way of loading: its options are resolved and its system roots read once, and it
remembers each file's verdicts, so a later look re-reads only the files whose stat data changed
and re-judges only those whose bytes changed (a kubelet update gives every file a new inode,
usually for one changed file). `TrustStore.load` looks once; the reloader keeps a Loader and looks
again on every check.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from .._files import StatKey, Unread, read
from .._options import Options
from . import system
from .judge import FileVerdicts, judge_file
from .model import Rejection
from .scan import Listing, is_fresh, list_folders

UNREADABLE_RETRY = timedelta(seconds=10)  # a file that could not be read is tried again after this
FOLDER_ITSELF = ""  # the name in a FileKey that stands for the folder, for a problem listing it


class FileKey(NamedTuple):
    """Where verdicts come from; sorting keys gives scan order (a folder's own problem first)."""

    folder: int  # the folder's position in the CA folder list
    name: str  # the entry's name in it, or FOLDER_ITSELF


Files = dict[FileKey, FileVerdicts]


class Look(NamedTuple):
    """What one look at the folders found."""

    files: Files
    missing_dirs: tuple[str, ...]
    moved: bool  # the listing differs from the last look's: names or stat data changed


class _Cached(NamedTuple):
    key: StatKey | None  # stat data of what was read (as listed, when it could not be read)
    digest: bytes | None  # SHA-256 of the bytes read; None when it could not be read
    verdicts: FileVerdicts
    fresh: bool = False  # changed too recently for its stat data to prove its content
    recheck_at: datetime | None = None  # judge again from then on, even if the bytes are the same


class Loader:
    """Lists the CA folders and keeps every entry's verdicts; not thread-safe (one caller at a time)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.roots = system.load(options.system)
        self._cache: dict[str, _Cached] = {}
        self._next_recheck: datetime | None = None
        self._listing: Listing | None = None
        self._complete = False  # every entry of the last look was settled (see scan.FRESH_NS)

    def look(self) -> Look | None:
        """The verdicts for every entry, or None when nothing can have changed since the last look.

        Nothing has changed when the listing (stat data only) is the same as last time, every entry
        was settled then, and no verdict is due to change with time: the common case costs no reading.
        The first look always returns.
        """
        listing = list_folders(self.options.ca_dirs)
        if listing == self._listing and self._complete and not self.recheck_due():
            return None
        files, self._complete = self._verdicts(listing)
        moved = listing != self._listing
        self._listing = listing
        return Look(files, tuple(listing.missing_dirs), moved)

    def recheck_due(self) -> bool:
        """Whether time alone has changed a verdict since the last look, however still the folder is."""
        return self._next_recheck is not None and datetime.now(timezone.utc) >= self._next_recheck

    def _verdicts(self, listing: Listing) -> tuple[Files, bool]:
        """The verdicts for every listed entry, reusing cached ones whose stat data is unchanged.

        Also says whether they are all settled: only then does an equal listing later prove equal
        content, since an entry changed very recently is read again (see scan.FRESH_NS).
        """
        now = datetime.now(timezone.utc)
        files: Files = {}
        cache: dict[str, _Cached] = {}
        complete = True
        for index, folder in enumerate(listing.folders):
            if folder.problem:
                files[FileKey(index, FOLDER_ITSELF)] = (Rejection(folder.path, folder.problem),)
            for entry in folder.entries:
                path = os.path.join(folder.path, entry.name)
                hit = self._cache.get(path)
                if hit is not None and hit.recheck_at is not None and now >= hit.recheck_at:
                    again = self._read_one(path, entry.key, None, now)  # a verdict that time alone changes
                    # Same stat data, so the same bytes: a read that failed now keeps the verdicts, retried later.
                    hit = hit._replace(recheck_at=again.recheck_at) if again.digest is None else again
                elif hit is None or hit.fresh or hit.key != entry.key:
                    hit = self._read_one(path, entry.key, hit, now)
                    if hit.key is not None and is_fresh(hit.key, listing.taken_ns):
                        hit = hit._replace(fresh=True)
                complete = complete and not hit.fresh
                cache[path] = hit
                files[FileKey(index, entry.name)] = hit.verdicts
        self._cache = cache
        self._next_recheck = min((h.recheck_at for h in cache.values() if h.recheck_at), default=None)
        return files, complete

    def _read_one(self, path: str, listed: StatKey | None, previous: _Cached | None, now: datetime) -> _Cached:
        """Read one entry; parse and judge it only if its bytes differ from what was cached for it."""
        source = read(path, self.options.max_file_size)
        if isinstance(source, Unread):  # tried again later: the failure may pass (EMFILE, EIO)
            return _Cached(listed, None, (Rejection(path, source.reason),), recheck_at=now + UNREADABLE_RETRY)
        digest = hashlib.sha256(source.data).digest()
        if previous is not None and previous.digest == digest:
            return previous._replace(key=source.key, fresh=False)  # same bytes, new inode: no parsing
        judged = judge_file(source.path, source.data, now)
        return _Cached(source.key, digest, judged.verdicts, recheck_at=judged.recheck_at)
