"""Per-day work spread over the machine's CPUs, for backfills.

Audio, posters and charts are pure per-day computations that hold no warehouse
connection, so a run over many days hands them to worker processes, one per CPU.
A single day (the daily run) is done in this process: starting workers would cost
more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items, starting worker processes (about 0.3 s each) does not pay.
MIN_ITEMS = 4


def cpu_threads() -> int:
    """The CPUs this process may run on (an explicit OMP_NUM_THREADS wins)."""
    if os.environ.get("OMP_NUM_THREADS", "").isdigit():
        return max(1, int(os.environ["OMP_NUM_THREADS"]))
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_days(fn: Callable[[T], R], items: Sequence[T], min_items: int = MIN_ITEMS) -> list[R]:
    """``[fn(item) for item in items]``, in worker processes when there are enough items and CPUs.

    ``fn`` must be a module-level function and items picklable. The results keep the order of the
    items, and the first failure is raised here, as a plain loop would raise it.
    """
    workers = min(cpu_threads(), len(items))
    if workers < 2 or len(items) < min_items:
        return [fn(item) for item in items]
    # spawn, not fork: the Dagster process runs threads, and a forked copy of a held lock never frees.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(fn, items))
