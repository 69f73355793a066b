"""Wall time and peak memory of one stage, for the whole process tree.

Peak memory is the highest *sum* of resident set sizes of this process and all its descendants
(dbt and Spark run as children), sampled by a background thread. Sampling can miss a spike
shorter than the interval, so the figure is a lower bound of the true peak; at 20 samples a second
the stages measured here (seconds to minutes) are covered well.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psutil

SAMPLE_SECONDS = 0.05


def tree_rss(root: psutil.Process | None = None) -> int:
    """Resident bytes of `root` (default: this process) plus every live descendant."""
    root = root or psutil.Process()
    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue  # a child that exited between listing and reading
    return total


class PeakSampler:
    """Samples `tree_rss()` in a daemon thread until stopped; `peak` is the highest sample.

    `samples` keeps the timeline (`time.time()`, bytes), so the peak of a sub-window (one stage
    of a Dagster run, known from its event log afterwards) can be read off later.
    """

    def __init__(self, interval: float = SAMPLE_SECONDS) -> None:
        self.interval = interval
        self.peak = 0
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-rss", daemon=True)
        self._proc = psutil.Process()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = tree_rss(self._proc)
            self.samples.append((time.time(), rss))
            self.peak = max(self.peak, rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self.peak = tree_rss(self._proc)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self._proc))

    def peak_between(self, start: float, end: float) -> int | None:
        """Highest sample taken in [start, end] (epoch seconds), None if none fell inside."""
        inside = [rss for t, rss in self.samples if start <= t <= end]
        return max(inside) if inside else None


@dataclass
class StageResult:
    """One measured stage: what the report prints and the JSON keeps.

    `rows` is the number of rows the stage processed (its own natural count, documented per
    stage in docs/performance.md); `detail` holds anything stage-specific (per-model timings,
    query percentiles).
    """

    name: str
    seconds: float
    rows: int | None = None
    peak_rss_bytes: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float | None:
        if self.rows is None or self.seconds <= 0:
            return None
        return self.rows / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seconds": round(self.seconds, 4),
            "rows": self.rows,
            "rows_per_second": (
                None if self.rows_per_second is None else round(self.rows_per_second, 1)
            ),
            "peak_rss_mib": (
                None if self.peak_rss_bytes is None else round(self.peak_rss_bytes / 2**20, 1)
            ),
            "detail": self.detail,
        }


class Timer:
    """Collects `StageResult`s; `stage()` measures a block, `call()` a function."""

    def __init__(self, progress: Callable[[str], None] = print) -> None:
        self.results: list[StageResult] = []
        self.progress = progress
        self.sampler: PeakSampler | None = None

    @contextmanager
    def stage(self, name: str) -> Iterator[StageResult]:
        """Measure the `with` block. The block may set `.rows` and `.detail` on the result;
        `self.sampler` is the block's running sampler (for peaks of sub-windows)."""
        result = StageResult(name=name, seconds=0.0)
        self.progress(f"[bench] {name} ...")
        with PeakSampler() as sampler:
            self.sampler = sampler
            t0 = time.perf_counter()
            try:
                yield result
            finally:
                result.seconds = time.perf_counter() - t0
        result.peak_rss_bytes = sampler.peak
        self.results.append(result)
        rows = "" if result.rows is None else f", {result.rows:,} rows"
        self.progress(
            f"[bench] {name}: {result.seconds:.2f} s{rows}, "
            f"peak RSS {sampler.peak / 2**20:,.0f} MiB"
        )

    def add(self, result: StageResult) -> None:
        """Record a result measured elsewhere (e.g. a stage inside a Dagster run)."""
        self.results.append(result)

    def get(self, name: str) -> StageResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"no stage {name!r} was measured")
