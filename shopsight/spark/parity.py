"""Row-by-row comparison of two builds of the marts (DuckDB's and Spark's), in DuckDB.

Each mart is matched on its grain, which the dbt project already declares as a `unique` or
`unique_combination` test; a mart without one is compared as a multiset of whole rows. Then
every other column is compared by kind:

- exact (strings, dates, instants, integers, booleans): equal, nulls included;
- money (decimals): equal to the cent (|a - b| < 0.005);
- floating point (rates, shares, averages, statistics): |a - b| <= rel * max(1, |a|, |b|);
- percentiles (columns matching `percentile_pattern`): the same rule with their own tolerance.

A column whose kind differs between the builds (a decimal on one side, a double on the other)
is a difference too: the dashboard would show different precision depending on the engine.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

EXACT, MONEY, FLOAT = "exact", "money", "float"


@dataclass(frozen=True)
class Tolerances:
    money: float = 0.005  # to the cent
    rate: float = 1e-9  # relative (absolute below 1)
    percentile: float = 1e-9
    percentile_pattern: str = r"(_p\d+$|percentile|median)"


@dataclass
class MartDiff:
    """Differences found in one mart; empty lists mean identical within the tolerances."""

    mart: str
    key: tuple[str, ...]
    left_rows: int = 0
    right_rows: int = 0
    schema: list[str] = field(default_factory=list)
    only_left: int = 0
    only_right: int = 0
    values: dict[str, int] = field(default_factory=dict)  # column -> mismatching rows
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.schema or self.only_left or self.only_right or self.values)

    def describe(self) -> str:
        if self.ok:
            return f"{self.mart}: {self.left_rows} rows identical"
        parts = [f"{self.mart} (key {', '.join(self.key) or 'whole row'}):"]
        parts += [f"  schema: {s}" for s in self.schema]
        if self.only_left or self.only_right:
            parts.append(
                f"  keys only in the first build: {self.only_left}, "
                f"only in the second: {self.only_right}"
            )
        parts += [f"  {col}: {n} row(s) differ" for col, n in self.values.items()]
        parts += [f"  e.g. {e}" for e in self.examples[:10]]
        return "\n".join(parts)


def mart_keys(manifest_path: Path, schema: str = "marts") -> dict[str, tuple[str, ...]]:
    """Each model's grain in `schema`, from its `unique_combination` or `unique` test."""
    manifest = json.loads(manifest_path.read_text())
    models = {
        uid: n
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] in {"model", "seed"} and n.get("schema") == schema
    }
    keys: dict[str, tuple[str, ...]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or node.get("attached_node") not in models:
            continue
        meta = node.get("test_metadata") or {}
        kwargs = meta.get("kwargs") or {}
        kwargs = {**kwargs, **(kwargs.get("arguments") or {})}
        name = models[node["attached_node"]].get("alias") or models[node["attached_node"]]["name"]
        if meta.get("name") == "unique_combination" and kwargs.get("columns"):
            keys[name] = tuple(kwargs["columns"])
        elif meta.get("name") == "unique" and kwargs.get("column_name") and name not in keys:
            keys[name] = (kwargs["column_name"],)
    for node in models.values():
        keys.setdefault(node.get("alias") or node["name"], ())
    return keys


def _kind(duckdb_type: str) -> str:
    t = duckdb_type.upper()
    if t.startswith("DECIMAL"):
        return MONEY
    if t in {"DOUBLE", "FLOAT", "REAL"}:
        return FLOAT
    return EXACT


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"describe select * from {relation}").fetchall()}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def compare_mart(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    left: str,
    right: str,
    key: tuple[str, ...],
    tolerances: Tolerances | None = None,
    ignore: frozenset[str] = frozenset(),
) -> MartDiff:
    """Compare relation `left` with relation `right` (any DuckDB FROM item) on `key`.

    Columns named in `ignore` are left out on both sides (build metadata such as the run's
    own timestamp, which differs between any two builds by design).
    """
    tol = tolerances or Tolerances()
    diff = MartDiff(mart, key)
    lcols = {c: t for c, t in _columns(con, left).items() if c not in ignore}
    rcols = {c: t for c, t in _columns(con, right).items() if c not in ignore}
    diff.left_rows = int(con.execute(f"select count(*) from {left}").fetchone()[0])  # type: ignore[index]
    diff.right_rows = int(con.execute(f"select count(*) from {right}").fetchone()[0])  # type: ignore[index]
    for c in sorted(set(lcols) - set(rcols)):
        diff.schema.append(f"column {c} only in the first build")
    for c in sorted(set(rcols) - set(lcols)):
        diff.schema.append(f"column {c} only in the second build")
    common = [c for c in lcols if c in rcols]
    for c in common:
        if _kind(lcols[c]) != _kind(rcols[c]):
            diff.schema.append(f"column {c}: {lcols[c]} vs {rcols[c]}")

    if not key:
        # No declared grain: match on every exact column, which must then be unique.
        key = tuple(c for c in common if _kind(lcols[c]) == EXACT == _kind(rcols[c]))
        diff.key = key
        for side, rel in (("first", left), ("second", right)):
            cols = ", ".join(_q(k) for k in key)
            dupes = con.execute(
                f"select count(*) from (select {cols} from {rel} group by all having count(*) > 1)"
            ).fetchone()[0]  # type: ignore[index]
            if dupes:
                diff.schema.append(
                    f"no declared grain, and the exact columns repeat in the {side} build"
                )
                return diff

    on = " and ".join(f"l.{_q(k)} is not distinct from r.{_q(k)}" for k in key)
    # Marker columns tell a row missing on one side from a row whose key has a null.
    joined = (
        f"(select *, true as __in_left from {left}) l "
        f"full outer join (select *, true as __in_right from {right}) r on {on}"
    )
    only = con.execute(
        "select count(*) filter (where r.__in_right is null), "
        f"count(*) filter (where l.__in_left is null) from {joined}"
    ).fetchone()
    diff.only_left, diff.only_right = int(only[0]), int(only[1])  # type: ignore[index]
    matched = "l.__in_left and r.__in_right"

    pattern = re.compile(tol.percentile_pattern)
    key_list = ", ".join(f"coalesce(l.{_q(k)}, r.{_q(k)})" for k in key)
    for c in common:
        if c in key:
            continue
        a, b = f"l.{_q(c)}", f"r.{_q(c)}"
        kinds = {_kind(lcols[c]), _kind(rcols[c])}
        nulls = f"(({a} is null) <> ({b} is null))"
        if FLOAT in kinds:
            rel = tol.percentile if pattern.search(c) else tol.rate
            da, db = f"cast({a} as double)", f"cast({b} as double)"
            bad = (
                f"({nulls} or abs({da} - {db}) > {rel!r} * greatest(1.0, abs({da}), abs({db}))"
                f" or (isnan({da}) <> isnan({db})))"
            )
        elif MONEY in kinds:
            bad = f"({nulls} or abs(cast({a} as double) - cast({b} as double)) >= {tol.money!r})"
        else:
            bad = f"({a} is distinct from {b})"
        n = con.execute(f"select count(*) from {joined} where {matched} and {bad}").fetchone()[0]  # type: ignore[index]
        if n:
            diff.values[c] = int(n)
            for row in con.execute(
                f"select {key_list}, {a}, {b} from {joined} where {matched} and {bad} limit 3"
            ).fetchall():
                diff.examples.append(f"{c} at {row[:-2]}: {row[-2]!r} vs {row[-1]!r}")
    return diff


def compare_builds(
    left: dict[str, str],
    right: dict[str, str],
    keys: dict[str, tuple[str, ...]],
    con: duckdb.DuckDBPyConnection,
    tolerances: Tolerances | None = None,
    ignore: frozenset[str] = frozenset(),
) -> list[MartDiff]:
    """Compare every mart present in `keys`; a mart missing from either build is a difference."""
    diffs = []
    for mart in sorted(keys):
        if mart not in left or mart not in right:
            d = MartDiff(mart, keys[mart])
            d.schema.append(
                "missing from the " + ("first" if mart not in left else "second") + " build"
            )
            diffs.append(d)
            continue
        diffs.append(
            compare_mart(con, mart, left[mart], right[mart], keys[mart], tolerances, ignore)
        )
    return diffs
