"""Step 5, follow the folders: notice changes cheaply, and never lose trust to a half-finished update.

The rule: trust is added at once; trust is removed only once the folders have shown the same
content for `settle` seconds. A half-finished update (a folder briefly missing or empty, a file
cut short mid-write, files unreadable, a script between its `rm` and its `cp`, a Kubernetes
`..data` swap caught between its steps) lasts milliseconds, so it never removes a CA; a complete
update that removes one stays, so the removal is applied by the first check `settle` seconds
later. Meanwhile the CAs it would remove are kept, and logged (a WARNING when the folder looks
broken). A state that persists is what a freshly started process would load, and where every
running process ends up. Telling the two apart by content alone is impossible: a file cut between
two certificates looks complete.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from .._text import printable
from .bundle import BundleFile
from .loader import FOLDER_ITSELF, FileKey, Files, Loader
from .model import Certificate, Rejection
from .store import TrustStore

log = logging.getLogger("catrust")

SETTLE_SECONDS = 2.0


class Reloader:
    """Follows the folders of one Loader: each `check()` returns a new store when the trust changed.

    `store` is the trust in force, and `bundle`, once set, a file kept at it: on a change the file is
    rewritten first, then the new store put in force, so whoever sees the new store finds its bundle.
    Not thread-safe: one caller at a time (the process-wide trust and the CLI each serialize).
    """

    def __init__(
        self,
        loader: Loader,
        *,
        settle: float = SETTLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        bundle: BundleFile | None = None,
    ) -> None:
        self.loader = loader
        self.settle = settle
        self.bundle = bundle
        self.store: TrustStore | None = None  # the trust in force: read without a lock, replaced, never changed
        self.generation = -1  # 0 for the first store, +1 for each applied change
        self._clock = clock
        self._seen: tuple[Files, tuple[str, ...]] = ({}, ())  # the files and missing folders last seen
        self._seen_since = 0.0
        self._applied: Files | None = None  # what the store in force was built from
        self._holding = False
        self._unsettled = False  # a state was seen that no _apply has finished with (it raised)

    def check(self) -> TrustStore | None:
        """Look at the folders; return the new store if the trust changed (the first call always does)."""
        new = self._look()
        current = new or self.store
        if self.bundle is not None and current is not None:
            self.bundle.update(current)  # first the file (a failed write is retried at every check)...
        if new is not None:
            self.store = new  # ...then the store in force, then its number
            self.generation += 1
        return new

    def _look(self) -> TrustStore | None:
        now = self._clock()
        look = self.loader.look()
        new_state = False
        if look is None:
            if not self._holding and not self._unsettled:
                return None  # the common case: stat data only, nothing read or parsed
        else:
            seen = (look.files, look.missing_dirs)
            if seen != self._seen or self._applied is None:
                self._seen, self._seen_since, new_state = seen, now, True
            elif look.moved:  # the same-looking state again, after files moved: it has not lasted, it recurred
                self._seen_since = now
        self._unsettled = True  # until _apply finishes: the loader will not report this state again
        store = self._apply(now, new_state)
        self._unsettled = False
        return store

    def _apply(self, now: float, new_state: bool) -> TrustStore | None:
        files, missing = self._seen
        settled = self._applied is None or now - self._seen_since >= self.settle
        kept = {} if settled else self._kept(files)
        if kept and new_state:  # once per state, not on every check
            self._log_kept(kept, files, missing)
        elif self._holding and settled:
            log.info("the CA folders have looked the same for %g s: applying the removal", self.settle)
        self._holding = bool(kept)
        effective = {key: files.get(key, ()) + kept.get(key, ()) for key in files.keys() | kept.keys()}
        if effective == self._applied:
            return None
        kept_from = {self.loader.options.ca_dirs[key.folder] for key in kept}
        store = TrustStore.merge(self.loader, effective, [d for d in missing if d not in kept_from])
        unchanged = self.store is not None and store.digest == self.store.digest
        self._applied = effective  # only once the store is built: a failure above is retried next check
        if unchanged:
            return None  # only rejections or warnings changed: the trust in force stays
        return store

    def _kept(self, files: Files) -> dict[FileKey, tuple[Certificate, ...]]:
        """Per file of the trust in force, the CAs that the folders no longer provide anywhere."""
        assert self._applied is not None
        provided = {
            item.fingerprint for verdicts in files.values() for item in verdicts if isinstance(item, Certificate)
        }
        kept: dict[FileKey, tuple[Certificate, ...]] = {}
        for key, verdicts in self._applied.items():
            lost = tuple(
                item for item in verdicts if isinstance(item, Certificate) and item.fingerprint not in provided
            )
            if lost:
                kept[key] = lost
        return kept

    def _log_kept(self, kept: dict[FileKey, tuple[Certificate, ...]], files: Files, missing: tuple[str, ...]) -> None:
        reasons: list[str] = []
        broken = False
        for key in sorted(kept):  # scan order: the set union behind `kept` has none
            folder = self.loader.options.ca_dirs[key.folder]
            why, looks_broken = _why_gone(key, files, missing, folder)
            broken = broken or looks_broken
            reasons.append(f"{printable(os.path.join(folder, key.name))} ({why})")
        log.log(
            logging.WARNING if broken else logging.INFO,
            "keeping %d CA(s) that the CA folders no longer provide until the folders have looked the same "
            "for %g s, so that a half-finished update cannot remove trust: %s",
            sum(len(c) for c in kept.values()),
            self.settle,
            "; ".join(reasons),
        )


def _why_gone(key: FileKey, files: Files, missing: tuple[str, ...], folder: str) -> tuple[str, bool]:
    """Why a file's CAs are no longer provided, and whether that looks like a broken folder."""
    if folder in missing:
        return f"the folder {folder} is missing", True
    problem = files.get(FileKey(key.folder, FOLDER_ITSELF))
    if problem:
        return "; ".join(r.reason for r in problem if isinstance(r, Rejection)), True
    if not any(other.folder == key.folder for other in files):
        return f"the folder {folder} is empty", True
    rejections = [r.reason for r in files.get(key, ()) if isinstance(r, Rejection)]
    if rejections:
        return "; ".join(rejections), True
    return ("the file is gone" if key not in files else "its certificates changed"), False
