"""Background work that repeats: a daemon thread runs ``step(database)`` every ``interval_s``
seconds, or at once when woken (new work was queued).  A failing run is logged and the next
one tries again, so one bad row or a flaky peer never stops the loop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from smartcity.core.db import Database

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, step: Callable[[Database], object], *, interval_s: float) -> None:
        self.name = name
        self.step = step
        self.interval_s = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, database: Database) -> None:
        """Start the thread (once; starting a running one does nothing)."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                self._wake.wait(self.interval_s)
                self._wake.clear()
                if self._stop.is_set():
                    break
                try:
                    self.step(database)
                except Exception:
                    log.exception("background work %s failed; it runs again later", self.name)

        self._thread = threading.Thread(target=loop, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
        self._thread = None
