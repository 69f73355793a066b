"""Simulation parameters, the volumes they imply, and the random streams.

Every random draw of the simulator comes from a stream named after the component that uses it
(`params.rng("orders.lines")`), seeded from the run's seed and the name. Components therefore do not
shift each other's numbers: adding a draw in the content generator leaves every order unchanged,
and the same arguments always give byte-identical files.

Time is handled as int64 epoch seconds (UTC instants) throughout. A business day is an index
`0 .. days-1` counted from `start` in Asia/Shanghai, which has been UTC+8 all year since 1991, so a
fixed offset is exact for every date the simulator can produce.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

DAY_S = 86_400
SHANGHAI_OFFSET_S = 8 * 3600
EPOCH = date(1970, 1, 1)

# Volumes of one simulated year at --scale 1 (the sizing); everything is linear in scale.
COUNTED_ORDERS_PER_YEAR = 1_000_000
SESSIONS_PER_YEAR = 10_000_000
CONTENT_EVENTS_PER_YEAR = 10_000_000


@dataclass(frozen=True)
class SimParams:
    """What `shopsight simulate` was asked for."""

    start: date
    days: int
    scale: float
    seed: int
    faults: float = 0.0

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if not 0 < self.scale <= 100:
            raise ValueError(f"scale must be in (0, 100], got {self.scale}")
        if not 0 <= self.faults <= 0.2:
            raise ValueError(f"faults must be a rate in [0, 0.2], got {self.faults}")

    def rng(self, stream: str) -> np.random.Generator:
        """An independent generator for one named component."""
        return np.random.default_rng([self.seed, zlib.crc32(stream.encode())])

    @property
    def epoch_day0(self) -> int:
        """Days from 1970-01-01 to `start`."""
        return (self.start - EPOCH).days

    @property
    def start_ts(self) -> int:
        """Epoch seconds of `start` 00:00 in Asia/Shanghai."""
        return self.epoch_day0 * DAY_S - SHANGHAI_OFFSET_S

    @property
    def end_ts(self) -> int:
        """Epoch seconds of the end (exclusive) of the last simulated business day."""
        return self.start_ts + self.days * DAY_S

    def day_start(self, day: np.ndarray | int) -> np.ndarray | int:
        return self.start_ts + np.asarray(day, dtype=np.int64) * DAY_S

    def day_of(self, ts: np.ndarray) -> np.ndarray:
        """Business-day index (may fall outside 0..days-1) of epoch-second instants."""
        return (np.asarray(ts, dtype=np.int64) - self.start_ts) // DAY_S

    def date_of(self, day: int) -> date:
        return self.start + timedelta(days=int(day))

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def year_fraction(self) -> float:
        return self.days / 365.0

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "days": self.days,
            "scale": self.scale,
            "seed": self.seed,
            "faults": self.faults,
        }


def poisson_at_least(rng: np.random.Generator, lam: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Poisson counts, raised to `minimum` (feeds that must deliver something every day)."""
    return np.maximum(rng.poisson(np.maximum(lam, 0.0)), minimum).astype(np.int64)


def repeat_index(counts: np.ndarray) -> np.ndarray:
    """`[0,0,1,2,2,2]` for counts `[2,1,3]`: the parent of each generated child row."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def sorted_day_times(
    rng: np.random.Generator, params: SimParams, day: np.ndarray, hour_weights: np.ndarray
) -> np.ndarray:
    """Instants on the given (sorted) days, drawn from an hourly profile, in time order."""
    return np.sort(params.day_start(day) + sample_time_of_day(rng, len(day), hour_weights))


def sample_time_of_day(rng: np.random.Generator, n: int, hour_weights: np.ndarray) -> np.ndarray:
    """Seconds after midnight, drawn from an hourly profile (24 weights)."""
    cdf = np.cumsum(hour_weights) / np.sum(hour_weights)
    hours = np.searchsorted(cdf, rng.random(n), side="right")
    return np.minimum(hours, 23) * 3600 + rng.integers(0, 3600, n)
