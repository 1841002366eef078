"""Step 4, the store: the one validated, deduplicated set every output is made from.

A TrustStore is immutable once loaded. Its SSL context is built once and shared; a change in
the folders means loading a new store, never editing this one or a context someone holds.
"""

from __future__ import annotations

import hashlib
import logging
import os
import ssl
import threading
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from .. import _context as context
from .. import _options as settings
from .._files import StatKey, Unread, read, write_atomic
from .._text import printable
from . import bundle, policy
from . import system as system_roots
from .model import Certificate, Duplicate, Rejection
from .parse import notes, parse
from .scan import Listing, is_fresh, list_folders

log = logging.getLogger("catrust")

CaDirs = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
FileVerdicts = tuple[Certificate | Rejection, ...]  # what one folder entry gives, in block order
FileKey = tuple[int, str]  # (folder index, name; "" for the folder itself): sorting gives scan order
Files = dict[FileKey, FileVerdicts]


class TrustStore:
    """Custom CAs that passed policy, merged with the system roots, plus everything refused and why."""

    def __init__(self, *, custom: Sequence[Certificate], system: Sequence[Certificate],
                 rejected: Sequence[Rejection], duplicates: Sequence[Duplicate],
                 ca_dirs: Sequence[str], missing_dirs: Sequence[str], system_source: str,
                 system_problems: Sequence[str] = (), platform_store: bool = False,
                 min_tls_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2, ciphers: str | None = None) -> None:
        self.custom = tuple(custom)
        self.system = tuple(system)
        self.rejected = tuple(rejected)
        self.duplicates = tuple(duplicates)
        self.ca_dirs = tuple(ca_dirs)
        self.missing_dirs = tuple(missing_dirs)
        self.system_source = system_source
        self.system_problems = tuple(system_problems)
        self.min_tls_version = min_tls_version
        self.ciphers = ciphers
        self.platform_store = platform_store
        known = {c.fingerprint for c in self.custom}
        self.certificates: tuple[Certificate, ...] = self.custom + tuple(
            c for c in self.system if c.fingerprint not in known)
        self._pem: str | None = None
        self._contexts: dict[tuple[str, ...], ssl.SSLContext] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, ca_dirs: CaDirs | None = None, *, system: str = "auto",
             max_file_size: int | None = None) -> TrustStore:
        """Scan the folders (argument, `CATRUST_CA_DIRS`, else `/custom/ca`), judge, merge, log."""
        return Loader(ca_dirs, system=system, max_file_size=max_file_size).load()

    def pem(self) -> str:
        """The merged bundle: custom CAs first (each with `#` lines saying where from), then system roots."""
        if self._pem is None:
            self._pem = bundle.render(self.certificates)
        return self._pem

    def ssl_context(self, *, alpn: Sequence[str] = ()) -> ssl.SSLContext:
        """The shared client context: verification and hostname checks on. Never reconfigure it.

        One context per ALPN list, built on first use: HTTP clients set ALPN on the context
        they are given, so each kind of client gets its own, preset to what it will set.
        """
        alpn = tuple(alpn)
        with self._lock:
            ctx = self._contexts.get(alpn)
            if ctx is None:
                ctx = self._contexts[alpn] = context.freeze(self.new_context(alpn=alpn))
            return ctx

    def new_context(self, extra: Sequence[bytes] = (), *, min_version: ssl.TLSVersion | None = None,
                    alpn: Sequence[str] = (), server_name: str | None = None) -> ssl.SSLContext:
        """A new context of the caller's own: this store's anchors plus `extra` DER certificates."""
        return context.build([c.der for c in self.certificates] + list(extra),
                             min_version=min_version or self.min_tls_version, platform_store=self.platform_store,
                             alpn=alpn, ciphers=self.ciphers, server_name=server_name)

    def write_bundle(self, path: str | os.PathLike[str]) -> str:
        """Write the bundle atomically (mode 0644), leaving the file alone when nothing changed."""
        target = os.fspath(path)
        write_atomic(target, self.pem().encode("ascii"))
        return target

    def write_custom_bundle(self, path: str | os.PathLike[str]) -> str:
        """Write only the custom CAs, for consumers that add them to roots of their own (Node)."""
        target = os.fspath(path)
        write_atomic(target, bundle.render(self.custom).encode("ascii"))
        return target

    @property
    def digest(self) -> str:
        """SHA-256 of the bundle text: equal digests mean equal trust."""
        return hashlib.sha256(self.pem().encode("ascii")).hexdigest()

    def _log_summary(self) -> None:
        for folder in self.missing_dirs:
            log.warning("CA folder %s does not exist: no custom CAs from it", printable(folder))
        for problem in self.system_problems:
            log.warning("system roots: %s", problem)
        by_path: dict[str, list[Rejection]] = {}
        for item in self.rejected:
            by_path.setdefault(item.path, []).append(item)
        for path, items in by_path.items():
            log.warning("rejected %s: %s", printable(path), "; ".join(describe(r, with_path=False) for r in items))
        for cert in self.custom:
            if cert.warnings:
                log.warning("accepted %s (%s) with warnings: %s", cert.where, cert.subject, "; ".join(cert.warnings))
        log.info("trusting %d custom CAs from %s (%d with warnings, %d rejected files, %d duplicates) "
                 "and %d system roots from %s",
                 len(self.custom), os.pathsep.join(self.ca_dirs), sum(1 for c in self.custom if c.warnings),
                 len(by_path), len(self.duplicates), len(self.system), self.system_source)


def describe(item: Rejection, *, with_path: bool = True) -> str:
    """One line a person can act on: where, why, and which certificate."""
    where = item.where if with_path else (f"#{item.block}" if item.block is not None else "")
    text = f"{where}: {item.reason}" if where else item.reason
    if item.subject or item.fingerprint:
        text += f" [{item.subject or '?'}, sha256 {item.fingerprint or '?'}]"
    return text


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
            out.append(Rejection(path, block.error or "is not a readable certificate",
                                 block=block.number, fingerprint=fingerprint))
            continue
        moments += [t for t in (block.not_before, block.not_after - policy.EXPIRY_WARNING, block.not_after) if t > now]
        with warnings.catch_warnings(record=True) as caught:  # reading extensions can warn too (an AKI serial)
            warnings.simplefilter("always")
            verdict = policy.judge(block.cert, now)
        if verdict.rejected:
            out.append(Rejection(path, verdict.rejected, block=block.number,
                                 subject=block.subject, fingerprint=fingerprint))
            continue
        found = block.notes + notes(str(w.message) for w in caught)
        out.append(Certificate(
            der=block.der, fingerprint=fingerprint, subject=block.subject, issuer=block.issuer,
            not_after=block.not_after, origin="custom", path=path, block=block.number,
            warnings=verdict.warnings + tuple(f"cryptography: {n}" for n in dict.fromkeys(found))))
    out.sort(key=lambda item: item.block or 0)
    return Judged(tuple(out), min(moments, default=None))


UNREADABLE_RETRY = timedelta(seconds=10)


class _Cached(NamedTuple):
    key: StatKey | None  # stat data of what was read (as listed, when it could not be read)
    digest: bytes | None  # SHA-256 of the bytes read; None when it could not be read
    verdicts: FileVerdicts
    fresh: bool = False  # changed too recently for its stat data to prove its content
    recheck_at: datetime | None = None  # judge again from then on, even if the bytes are the same


class Loader:
    """One way of loading: settings resolved and system roots read once, per-file verdicts cached.

    `TrustStore.load` uses a Loader once; a reload keeps one, so that a check re-reads only the
    files whose stat data changed, and re-judges only those whose bytes changed (a kubelet update
    gives every file a new inode, usually for one changed file), and every store shares the roots.
    """

    def __init__(self, ca_dirs: CaDirs | None = None, *, system: str = "auto",
                 max_file_size: int | None = None) -> None:
        self.ca_dirs = settings.ca_dirs(ca_dirs)
        mode = settings.system_mode(system)
        self.max_file_size = settings.max_file_size(max_file_size)
        self.min_tls_version = settings.min_tls_version()
        self.ciphers = settings.tls_ciphers()
        self.roots = system_roots.load(mode)
        self._cache: dict[str, _Cached] = {}
        self._next_recheck: datetime | None = None

    def load(self) -> TrustStore:
        listing = list_folders(self.ca_dirs)
        files, _ = self.verdicts(listing)
        return self.build(files, listing.missing_dirs)

    def verdicts(self, listing: Listing) -> tuple[Files, bool]:
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
                files[(index, "")] = (folder.problem,)
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
                files[(index, entry.name)] = hit.verdicts
        self._cache = cache
        self._next_recheck = min((h.recheck_at for h in cache.values() if h.recheck_at), default=None)
        return files, complete

    def recheck_due(self) -> bool:
        """Whether time alone has changed a verdict since the last `verdicts()`, however still the folder is."""
        return self._next_recheck is not None and datetime.now(timezone.utc) >= self._next_recheck

    def _read_one(self, path: str, listed: StatKey | None, previous: _Cached | None, now: datetime) -> _Cached:
        """Read one entry; parse and judge it only if its bytes differ from what was cached for it."""
        source = read(path, self.max_file_size)
        if isinstance(source, Unread):  # tried again later: the failure may pass (EMFILE, EIO)
            return _Cached(listed, None, (Rejection(path, source.reason),), recheck_at=now + UNREADABLE_RETRY)
        digest = hashlib.sha256(source.data).digest()
        if previous is not None and previous.digest == digest:
            return previous._replace(key=source.key, fresh=False)  # same bytes, new inode: no parsing
        judged = judge_file(source.path, source.data, now)
        return _Cached(source.key, digest, judged.verdicts, recheck_at=judged.recheck_at)

    def build(self, files: Mapping[FileKey, FileVerdicts], missing_dirs: Sequence[str]) -> TrustStore:
        """Merge per-file verdicts (in key order) with the system roots: dedupe, keep rejections, log."""
        custom: dict[str, Certificate] = {}
        rejected: list[Rejection] = []
        duplicates: list[Duplicate] = []
        for key in sorted(files):
            for item in files[key]:
                if isinstance(item, Rejection):
                    rejected.append(item)
                elif item.fingerprint in custom:
                    duplicates.append(Duplicate(item.path, item.block, item.fingerprint, item.subject,
                                                first=custom[item.fingerprint].where))
                else:
                    custom[item.fingerprint] = item
        store = TrustStore(custom=list(custom.values()), system=self.roots.certificates, rejected=rejected,
                           duplicates=duplicates, ca_dirs=self.ca_dirs, missing_dirs=missing_dirs,
                           system_source=self.roots.source, system_problems=self.roots.problems,
                           platform_store=self.roots.platform_store, min_tls_version=self.min_tls_version,
                           ciphers=self.ciphers)
        store._log_summary()
        return store
