"""Vectorised formatting of typed columns into the landing formats' text.

Generators keep values as numbers (ids as integers, money as integer cents, instants as epoch
seconds); this module turns whole columns into Arrow string arrays at once, without a Python loop
per row. Lookup tables do the heavy lifting: a timestamp is `date[day] + time[second of day] +
offset suffix`, each part a `take` from a small table, which is several times faster than
`strftime` on millions of rows.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopsight.simulator.params import DAY_S, EPOCH

NULL_INT = np.iinfo(np.int64).min  # sentinel for a null in int64 columns (ids, counts, instants)

# Timestamp offsets written in CSV and JSON Lines. Every source system writes ISO 8601 with an
# offset, most in China time, some in UTC (either spelling), a few from servers in Tokyo.
TZ_SUFFIXES = ("+08:00", "Z", "+00:00", "+09:00")
TZ_OFFSETS_S = np.array([8 * 3600, 0, 0, 9 * 3600], dtype=np.int64)
TZ_WEIGHTS = np.array([0.86, 0.08, 0.03, 0.03])

_TIME_OF_DAY = pa.array(
    [f"T{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
)
_CENTS = pa.array([f".{i:02d}" for i in range(100)])


def draw_tz(rng: np.random.Generator, n: int) -> np.ndarray:
    """Which offset each row's timestamps are written with (an index into TZ_SUFFIXES)."""
    return rng.choice(len(TZ_SUFFIXES), size=n, p=TZ_WEIGHTS).astype(np.int8)


def _mask(values: np.ndarray) -> np.ndarray | None:
    m = values == NULL_INT
    return m if m.any() else None


def ints(values: np.ndarray) -> pa.Array:
    """Integers as text; NULL_INT becomes null."""
    return pc.cast(pa.array(values, mask=_mask(values)), pa.string())


def ids(prefix: str, width: int, values: np.ndarray) -> pa.Array:
    """`prefix` + zero-padded number, e.g. `O0000000042`; negative values are null."""
    mask = values < 0
    text = pc.ascii_lpad(pc.cast(pa.array(np.where(mask, 0, values)), pa.string()), width, "0")
    out = pc.binary_join_element_wise(prefix, text, "")
    return _with_nulls(out, mask)


def prefixed_ids(prefixes: tuple[str, ...], codes: np.ndarray, width: int, values: np.ndarray):
    """Ids whose prefix depends on a per-row code (platform user ids: `tb…`, `wb…`)."""
    text = pc.ascii_lpad(pc.cast(pa.array(values), pa.string()), width, "0")
    return pc.binary_join_element_wise(pc.take(pa.array(prefixes), pa.array(codes)), text, "")


def enum(values: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """Enum codes (indexes into `values`) as text; negative codes are null."""
    mask = codes < 0
    if mask.all():
        return pa.nulls(len(codes), pa.string())
    out = pc.take(pa.array(values, pa.string()), pa.array(np.where(mask, 0, codes)))
    return _with_nulls(out, mask)


def money(cents: np.ndarray) -> pa.Array:
    """Integer cents as `123.45` (always two decimals)."""
    cents = np.asarray(cents, dtype=np.int64)
    if (cents < 0).any():
        raise ValueError("money must not be negative")
    whole = pc.cast(pa.array(cents // 100), pa.string())
    return pc.binary_join_element_wise(whole, pc.take(_CENTS, pa.array(cents % 100)), "")


def _date_table(first_day: int, last_day: int) -> pa.Array:
    start = EPOCH + timedelta(days=int(first_day))
    n = int(last_day - first_day + 1)
    return pa.array([(start + timedelta(days=i)).isoformat() for i in range(n)])


def dates(epoch_days: np.ndarray) -> pa.Array:
    """Days since 1970-01-01 as `YYYY-MM-DD`."""
    epoch_days = np.asarray(epoch_days, dtype=np.int64)
    if len(epoch_days) == 0:
        return pa.array([], pa.string())
    lo, hi = int(epoch_days.min()), int(epoch_days.max())
    return pc.take(_date_table(lo, hi), pa.array(epoch_days - lo))


def timestamps(epoch_s: np.ndarray, tz: np.ndarray) -> pa.Array:
    """Epoch seconds as ISO 8601 with the row's offset (`2016-11-11T00:00:07+08:00`)."""
    epoch_s = np.asarray(epoch_s, dtype=np.int64)
    mask = epoch_s == NULL_INT
    local = np.where(mask, 0, epoch_s) + TZ_OFFSETS_S[tz]
    day = local // DAY_S
    if len(day) == 0:
        return pa.array([], pa.string())
    lo = int(day[~mask].min()) if (~mask).any() else 0
    day = np.where(mask, lo, day)
    hi = int(day.max())
    out = pc.binary_join_element_wise(
        pc.take(_date_table(lo, hi), pa.array(day - lo)),
        pc.take(_TIME_OF_DAY, pa.array(local % DAY_S)),
        pc.take(pa.array(TZ_SUFFIXES), pa.array(tz)),
        "",
    )
    return _with_nulls(out, mask)


def booleans(values: np.ndarray) -> pa.Array:
    return pc.take(pa.array(["false", "true"]), pa.array(values.astype(np.int8)))


def _with_nulls(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    if not mask.any():
        return arr
    return pc.if_else(pa.array(mask), pa.scalar(None, arr.type), arr)


# --- typed Arrow (Parquet) ---------------------------------------------------------------------


def ts_arrow(epoch_s: np.ndarray) -> pa.Array:
    """Epoch seconds as a UTC-adjusted Parquet timestamp (milliseconds)."""
    epoch_s = np.asarray(epoch_s, dtype=np.int64)
    mask = epoch_s == NULL_INT
    return pa.array(
        np.where(mask, 0, epoch_s) * 1000,
        pa.timestamp("ms", tz="UTC"),
        mask=mask if mask.any() else None,
    )


def date_arrow(epoch_days: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(epoch_days, dtype=np.int32), pa.date32())


def money_arrow(cents: np.ndarray) -> pa.Array:
    """Integer cents as decimal(18, 2), exactly (text -> decimal is an exact cast in Arrow)."""
    return pc.cast(money(cents), pa.decimal128(18, 2))


# --- JSON tokens -----------------------------------------------------------------------------


def json_escape(text: pa.Array) -> pa.Array:
    """Escape backslashes and quotes for use inside a JSON string."""
    return pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"', '\\"')


def json_string(text: pa.Array, escape: bool = True) -> pa.Array:
    """Strings as JSON string tokens (`"x"`), nulls as `null`.

    `escape=False` skips escaping for text that cannot hold quotes or backslashes (ids, enum
    values, timestamps), the bulk of the JSON we write.
    """
    escaped = json_escape(text) if escape else text
    return pc.fill_null(pc.binary_join_element_wise('"', escaped, '"', ""), "null")


def json_raw(text: pa.Array) -> pa.Array:
    """Numbers (already text) as JSON tokens; nulls as `null`."""
    return pc.fill_null(text, "null")


def json_string_lists(offsets: np.ndarray, values: pa.Array) -> pa.Array:
    """A JSON array of strings per row from CSR offsets into `values` (`["a","b"]`, `[]`)."""
    quoted = pc.binary_join_element_wise('"', values, '"', "")
    lists = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), quoted)
    return pc.binary_join_element_wise("[", pc.binary_join(lists, ","), "]", "")
