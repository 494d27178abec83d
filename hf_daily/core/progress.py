"""Progress lines for long backfills."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


def _eta(done: int, total: int, elapsed: float) -> str:
    if not done:
        return "unknown"
    return f"{elapsed / done * (total - done):.0f} s"


class DayProgress:
    """Days done and left, with an estimate of the time left, for the logs of a long backfill.

    It logs the first and the last day, and otherwise at most every ``every_s`` seconds,
    so that a run of a thousand days stays readable.
    """

    def __init__(self, step: str, total: int, progress: Callable[[str], None] = log.info, every_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.step, self.total, self.every_s = step, total, every_s
        self._progress, self._clock = progress, clock
        self._started = self._last = clock()
        self.done = 0

    def day_done(self, day: dt.date, detail: str = "") -> None:
        self.done += 1
        now = self._clock()
        if self.total > 1 and (self.done in (1, self.total) or now - self._last >= self.every_s):
            self._last = now
            left = self.total - self.done
            eta = f", ETA {_eta(self.done, self.total, now - self._started)}" if left else ""
            self._progress(f"{self.step}: {self.done}/{self.total} days done ({day}{detail}), {left} left{eta}")
