"""An opt-in background thread that follows the CA folders, so changes apply without waiting for an access."""

from __future__ import annotations

import threading
from types import TracebackType

from . import _options as settings
from . import _process_trust as defaults


class Watcher:
    """A daemon thread checking the folders every `interval` seconds until `stop()` (or the `with` ends)."""

    def __init__(self, interval: float) -> None:
        self.interval = settings.watch_interval(interval)
        defaults.default_store()  # load now, so that an invalid setting raises in the caller's thread
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="catrust-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            defaults.check_quietly()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop checking; waits (up to `timeout` seconds) for a check in progress to finish."""
        self._stopping.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def watch(interval: float = settings.DEFAULT_WATCH_INTERVAL) -> Watcher:
    """Follow the folders in a background thread, checking every `interval` seconds; returns its handle."""
    return Watcher(interval)
