"""Step 4, the store: the one validated, deduplicated set every output is made from.

A TrustStore is immutable once loaded. Its SSL context is built once and shared; a change in
the folders means loading a new store, never editing this one or a context someone holds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import ssl
import threading
from collections.abc import Mapping, Sequence

from .._context import TLSOptions, build, freeze
from .._files import write_atomic
from .._options import CaDirs, Options
from .._text import printable
from . import bundle
from .judge import FileVerdicts
from .loader import FileKey, Loader
from .model import Certificate, Duplicate, Rejection, describe
from .system import SystemRoots

log = logging.getLogger("catrust")


class TrustStore:
    """Custom CAs that passed policy, merged with the system roots, plus everything refused and why.

    Made by `TrustStore.load` (or by a reloader, through `merge`); the constructor is not public API.
    """

    def __init__(
        self,
        options: Options,
        roots: SystemRoots,
        *,
        custom: Sequence[Certificate] = (),
        rejected: Sequence[Rejection] = (),
        duplicates: Sequence[Duplicate] = (),
        missing_dirs: Sequence[str] = (),
    ) -> None:
        self.options = options
        self.custom = tuple(custom)
        self.system = tuple(roots.certificates)
        self.rejected = tuple(rejected)
        self.duplicates = tuple(duplicates)
        self.ca_dirs = options.ca_dirs
        self.missing_dirs = tuple(missing_dirs)
        self.system_source = roots.source
        self.system_problems = tuple(roots.problems)
        self.min_tls_version = options.min_tls_version
        self.ciphers = options.ciphers
        self.platform_store = roots.platform_store
        self._tls = TLSOptions(
            min_version=options.min_tls_version, ciphers=options.ciphers, platform_store=roots.platform_store
        )
        known = {c.fingerprint for c in self.custom}
        self.certificates: tuple[Certificate, ...] = self.custom + tuple(
            c for c in self.system if c.fingerprint not in known
        )
        self._pem: str | None = None
        self._contexts: dict[tuple[str, ...], ssl.SSLContext] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls, ca_dirs: CaDirs | None = None, *, system: str = "auto", max_file_size: int | None = None
    ) -> TrustStore:
        """Scan the folders (argument, `CATRUST_CA_DIRS`, else `/custom/ca`), judge, merge, log."""
        return cls.first_look(Loader(Options.resolve(ca_dirs, system=system, max_file_size=max_file_size)))

    @classmethod
    def first_look(cls, loader: Loader) -> TrustStore:
        """The store from a loader's first look at the folders."""
        look = loader.look()
        assert look is not None  # a first look always returns
        return cls.merge(loader, look.files, look.missing_dirs)

    @classmethod
    def merge(cls, loader: Loader, files: Mapping[FileKey, FileVerdicts], missing_dirs: Sequence[str]) -> TrustStore:
        """Merge per-file verdicts (in scan order) with the system roots: dedupe, keep rejections, log."""
        custom: dict[str, Certificate] = {}
        rejected: list[Rejection] = []
        duplicates: list[Duplicate] = []
        for key in sorted(files):
            for item in files[key]:
                if isinstance(item, Rejection):
                    rejected.append(item)
                elif item.fingerprint in custom:
                    duplicates.append(
                        Duplicate(
                            item.path, item.block, item.fingerprint, item.subject, first=custom[item.fingerprint].where
                        )
                    )
                else:
                    custom[item.fingerprint] = item
        store = cls(
            loader.options,
            loader.roots,
            custom=list(custom.values()),
            rejected=rejected,
            duplicates=duplicates,
            missing_dirs=missing_dirs,
        )
        store._log_summary()
        return store

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
                ctx = self._contexts[alpn] = freeze(self.new_context(alpn=alpn))
            return ctx

    def new_context(
        self,
        extra: Sequence[bytes] = (),
        *,
        min_version: ssl.TLSVersion | None = None,
        alpn: Sequence[str] = (),
        server_name: str | None = None,
    ) -> ssl.SSLContext:
        """A new context of the caller's own: this store's anchors plus `extra` DER certificates."""
        options = dataclasses.replace(
            self._tls, min_version=min_version or self._tls.min_version, alpn=tuple(alpn), server_name=server_name
        )
        return build([c.der for c in self.certificates] + list(extra), options)

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
        log.info(
            "trusting %d custom CAs from %s (%d with warnings, %d rejected files, %d duplicates) "
            "and %d system roots from %s",
            len(self.custom),
            os.pathsep.join(self.ca_dirs),
            sum(1 for c in self.custom if c.warnings),
            len(by_path),
            len(self.duplicates),
            len(self.system),
            self.system_source,
        )
