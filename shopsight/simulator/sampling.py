"""Weighted sampling from populations that grow over time, vectorised over millions of draws.

People join the marketplace over the simulation and some leave for a while. Drawing "a random
active buyer on day d" once per order in a Python loop would be far too slow at scale 1, so the
population is sorted by the day each member becomes available; the members available on day d are
then a prefix of that order, and a weighted draw from a prefix is one `searchsorted` on the
cumulative weights. Members who are unavailable for other reasons (churned, dormant) are rejected
and drawn again, a few rounds for all rows at once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class GrowingPool:
    """Members with a first-available day and a weight; draws are weighted among the available."""

    def __init__(self, members: np.ndarray, available_from: np.ndarray, weight: np.ndarray):
        order = np.argsort(available_from, kind="stable")
        self.members = np.asarray(members)[order]
        self.available_from = np.asarray(available_from)[order]
        self.cum_weight = np.cumsum(np.asarray(weight, dtype=float)[order])

    def __len__(self) -> int:
        return len(self.members)

    def draw(
        self,
        rng: np.random.Generator,
        days: np.ndarray,
        accept: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
        rounds: int = 40,
    ) -> np.ndarray:
        """One member per entry of `days`, available on that day (-1 where nobody is).

        `accept(members, days)` may reject draws (e.g. dormant buyers); rejected rows are drawn
        again, and the few still rejected after `rounds` keep their last draw.
        """
        days = np.asarray(days)
        out = np.full(len(days), -1, dtype=np.int64)
        if len(self) == 0 or len(days) == 0:
            return out
        todo = np.arange(len(days))
        for _ in range(rounds):
            picked = self._draw_prefix(rng, days[todo])
            if accept is None:
                out[todo] = picked
                break
            ok = (picked < 0) | accept(np.maximum(picked, 0), days[todo])
            out[todo] = picked
            todo = todo[~ok]
            if len(todo) == 0:
                break
        return out

    def _draw_prefix(self, rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
        available = np.searchsorted(self.available_from, days, side="right")
        total = np.where(available > 0, self.cum_weight[np.maximum(available - 1, 0)], 0.0)
        if len(days) > 1 and np.all(days[1:] >= days[:-1]):
            # Rows come grouped by day (the usual case). Sorting the uniforms within each day
            # makes the needles nearly sorted overall, so the lookup is cache-friendly without
            # an argsort. Which row of a day gets which draw does not matter: rows of a day are
            # exchangeable (their other attributes are drawn independently).
            keyed = np.sort(days + rng.random(len(days)))
            u = (keyed - days) * total
            idx = np.searchsorted(self.cum_weight, u, side="right")
        else:
            u = rng.random(len(days)) * total
            idx = sorted_searchsorted(self.cum_weight, u)
        idx = np.minimum(idx, np.maximum(available - 1, 0))
        return np.where(available > 0, self.members[idx], -1)


def sorted_searchsorted(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """`searchsorted(side="right")` of random needles, sorted first: with millions of needles in
    a large haystack, cache-friendly sorted lookups are several times faster than random ones."""
    order = np.argsort(needles, kind="stable")
    out = np.empty(len(needles), dtype=np.int64)
    out[order] = np.searchsorted(haystack, needles[order], side="right")
    return out


def recent_index(
    rng: np.random.Generator, sorted_times: np.ndarray, at: np.ndarray, mean_back: float
) -> np.ndarray:
    """For each instant in `at`, the index of an item published before it, favouring recent ones.

    Items are sorted by publication time; the draw goes back a geometric number of items from the
    newest one available (popular content is mostly recent content). -1 when none exists.
    """
    k = np.searchsorted(sorted_times, at, side="right")
    back = rng.geometric(1.0 / max(mean_back, 1.0), len(at)) - 1
    idx = k - 1 - np.minimum(back, np.maximum(k - 1, 0))
    return np.where(k > 0, idx, -1)


def choice_by_probability(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """`rng.choice(len(p), n, p=p)` that tolerates rounding in `p`."""
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def choice_by_group(rng: np.random.Generator, probs: np.ndarray, group: np.ndarray) -> np.ndarray:
    """One category per row, drawn from the probabilities of the row's group.

    `probs` is (groups, categories), e.g. the traffic mix of each day; `group` gives each row's
    group. The groups' CDFs are laid end to end (group g occupies [g, g+1)), so all rows are
    drawn with one `searchsorted` in a small table instead of a (rows x categories) matrix.
    """
    probs = np.asarray(probs, dtype=float)
    k = probs.shape[1]
    cdf = np.cumsum(probs, axis=1)
    cdf = cdf / cdf[:, -1:]
    cdf[:, -1] = 1.0
    flat = (np.arange(len(probs))[:, None] + cdf).ravel()
    pos = np.searchsorted(flat, group + rng.random(len(group)), side="right")
    return np.minimum(pos - group * k, k - 1)
