"""The row verdict: the first contract rule each staged row breaks, computed set-wise in SQL.

One `CASE` chain per entity walks the reasons in the documented order (missing_required,
bad_type, bad_enum, out_of_range, rule_violation, future_event / late_beyond_window,
conflicting_duplicate, unknown_reference) and yields a struct `(reason, col, message)` or NULL.
Exact copies of a row inside one delivery get `_copy > 1` and the verdict of their first copy.
"""

from __future__ import annotations

import duckdb

from shopsight import contract
from shopsight.ingest.conversions import TYPE_WORDS
from shopsight.ingest.rules import LOOKUPS, violation_sql
from shopsight.ingest.sqltext import ident, in_list, lit

# Where a referenced entity's keys come from when checking `references` (loaded rows).
# order_items -> orders is resolved by shopsight.ingest.orders (orders load in the same step).
DEFERRED_REFERENCES = {("order_items", "order_id")}


def verdict(reason: str, column: str | None, message_sql: str) -> str:
    col = lit(column) if column else "null::varchar"
    return f"struct_pack(reason := {lit(reason)}, col := {col}, message := {message_sql})"


def _shown(text_col: str) -> str:
    """A landed value quoted for a message, cut to a readable length."""
    return f"'''' || left({text_col}, 80) || ''''"


def typed_names(entity: contract.Entity, prefix: str = "") -> dict[str, str]:
    return {c.name: f"{prefix}{ident(c.name + '__t')}" for c in entity.columns}


def own_checks(entity: contract.Entity) -> list[tuple[str, str]]:
    """(condition, verdict) pairs for the checks that read one row only, in reason order."""
    typed = typed_names(entity)
    text = {c.name: ident(c.name) for c in entity.columns}
    out: list[tuple[str, str]] = []
    for c in entity.columns:
        if c.required:
            out.append(
                (
                    f"{text[c.name]} is null",
                    verdict("missing_required", c.name, lit(f"{c.name} is empty")),
                )
            )
    for c in entity.columns:
        as_type = lit(" as " + TYPE_WORDS[c.type])
        msg = f"{lit(c.name + ': cannot read ')} || {_shown(text[c.name])} || {as_type}"
        out.append((f"not {ident(c.name + '__ok')}", verdict("bad_type", c.name, msg)))
    for c in entity.columns:
        if c.enum:
            msg = (
                f"{lit(c.name + ': ')} || {_shown(text[c.name])} || "
                f"{lit(' is not one of ' + ', '.join(c.enum))}"
            )
            out.append(
                (f"{typed[c.name]} not in ({in_list(c.enum)})", verdict("bad_enum", c.name, msg))
            )
    for c in entity.columns:
        if c.min_value is not None:
            below = lit(f" is below the minimum {c.min_value:g}")
            msg = f"{lit(c.name + ': ')} || {_shown(text[c.name])} || {below}"
            out.append((f"{typed[c.name]} < {c.min_value!r}", verdict("out_of_range", c.name, msg)))
    for rule in entity.rules:
        if rule.reason != "rule_violation":
            continue
        pred = violation_sql(rule, typed)
        if pred is not None:
            msg = lit(f"rule {rule.code}: {rule.description}")
            out.append(
                (f"coalesce({pred}, false)", verdict("rule_violation", rule.columns[0], msg))
            )
    if entity.event_time:
        out += _window_checks(entity, typed[entity.event_time], entity.event_time)
    return out


def _window_checks(entity: contract.Entity, col: str, name: str) -> list[tuple[str, str]]:
    days = contract.LATE_DATA_DAYS
    tz = lit(contract.BUSINESS_TIMEZONE)
    if entity.column(name).type == "date":
        future = f"{col} > _dt"
        late = f"{col} < _dt - {days}"
    else:
        future = f"{col} >= timezone({tz}, (_dt + 1)::timestamp)"
        late = f"{col} < timezone({tz}, _dt::timestamp) - interval {days} day"
    shown = f"{lit(name + ' ')} || {col}::varchar"
    zone = lit(f" ({contract.BUSINESS_TIMEZONE})")
    after = f"{shown} || ' is after the end of delivery date ' || _dt::varchar || {zone}"
    before = f"{shown} || ' is more than {days} days before delivery date ' || _dt::varchar"
    return [
        (future, verdict("future_event", name, after)),
        (late, verdict("late_beyond_window", name, before)),
    ]


def reference_checks(entity: contract.Entity) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Joins, and (column, lookup column, message SQL) for keys that must exist elsewhere."""
    typed = typed_names(entity, "s.")
    joins: list[str] = []
    checks: list[tuple[str, str, str]] = []
    for c in entity.columns:
        if c.references is None or (entity.name, c.name) in DEFERRED_REFERENCES:
            continue
        ref_entity, ref_col = c.references
        alias = f"ref_{c.name}"
        joins.append(
            f"left join (select distinct {ident(ref_col)} as k from raw.{ident(ref_entity)}) "
            f"{alias} on {alias}.k = {typed[c.name]}"
        )
        ref_key = contract.entity(ref_entity).key
        msg = f"{lit(c.name + ' ')} || {_shown(ident(c.name))} || {lit(' is not in ' + ref_key)}"
        checks.append((c.name, f"{alias}.k as _ref_{c.name}", msg))
    return joins, checks


def _later_case(
    entity: contract.Entity, ref_checks: list[tuple[str, str, str]], keycount: str
) -> str:
    """The verdict of a row given its own verdict `_own` and its key's count `keycount`."""
    key = entity.version_key
    key_text = " || ', ' || ".join(f"{lit(k + '=')} || coalesce({ident(k)}, '')" for k in key)
    conflict = f"{key_text} || {lit(' appears with different values in this delivery')}"
    later: list[str] = [
        f"when {keycount} > 1 then {verdict('conflicting_duplicate', key[0], conflict)}"
    ]
    for col, _, msg in ref_checks:
        cond = f"{ident(col + '__t')} is not null and _ref_{col} is null"
        later.append(f"when {cond} then {verdict('unknown_reference', col, msg)}")
    for rule in entity.rules:
        if rule.reason == "unknown_reference":
            pred = violation_sql(rule, typed_names(entity))
            if pred is not None:
                msg = lit(f"rule {rule.code}: {rule.description}")
                unknown = verdict("unknown_reference", rule.columns[-1], msg)
                later.append(f"when coalesce({pred}, false) then {unknown}")
    return "case when _own is not null then _own " + " ".join(later) + " end"


def verdict_statements(entity: contract.Entity, staged: str, out: str) -> list[str]:
    """SQL creating temp table `out`: the staged rows plus `_own`, `_copy`, `_keycount` and
    `_verdict`, as statements to run in order.

    Copies and conflicting duplicates matter only among rows that break no rule of their own
    (a row that does is quarantined with that reason, copy or not) and that share their
    delivery date and key (exact copies share every value, the key included). The first
    statement judges every row as if its key were unique in its delivery; the window functions
    that number copies and count a key's distinct rows then run only over the few rows whose
    key repeats, instead of partitioning the whole batch by every column. (`_copy` and
    `_keycount` of a row with a reason of its own are therefore 1 and 0: nothing reads them.)
    """
    typed = typed_names(entity, "s.")
    lookup_joins: list[str] = []
    lookup_cols: list[str] = []
    for lk in LOOKUPS.get(entity.name, ()):
        lookup_joins.append(lk.join.format(**typed))
        lookup_cols += list(lk.columns)
    ref_joins, ref_checks = reference_checks(entity)
    final_case = _later_case(entity, ref_checks, "_keycount")
    shared_final_case = _later_case(entity, ref_checks, "w._shared_keycount")
    ref_cols = [select for _, select, _ in ref_checks]
    select_extra = "".join(", " + c for c in lookup_cols + ref_cols)

    own = own_checks(entity)
    own_case = "case " + " ".join(f"when {cond} then {v}" for cond, v in own) + " end"
    key = entity.version_key
    key_cols = ", ".join(ident(k + "__t") for k in key)
    key_match = " and ".join(
        f"o.{ident(k + '__t')} is not distinct from d.{ident(k + '__t')}" for k in key
    )
    text_cols_o = ", ".join(f"o.{ident(c.name)}" for c in entity.columns)
    return [
        f"""
create or replace temp table {out} as
with looked as (
  select s.*{select_extra}
  from {staged} s
  {" ".join(lookup_joins)}
  {" ".join(ref_joins)}
),
own as (select *, {own_case} as _own from looked),
single as (select *, 1::bigint as _copy, (_own is null)::bigint as _keycount from own)
select *, {final_case} as _verdict from single
""",
        f"""
update {out} set _copy = w._shared_copy, _keycount = w._shared_keycount,
  _verdict = {shared_final_case}
from (
  select _file, _row_number, _shared_copy,
         count(*) filter (where _shared_copy = 1)
           over (partition by _dt, {key_cols}) as _shared_keycount
  from (
    select o.*, row_number() over (partition by o._dt, {text_cols_o} order by o._file,
      o._row_number) as _shared_copy
    from {out} o
    semi join (
      select _dt, {key_cols} from {out} where _own is null group by all having count(*) > 1
    ) d on o._dt = d._dt and {key_match}
    where o._own is null
  )
) w
where {out}._file = w._file and {out}._row_number = w._row_number
""",
    ]


def judge(con: duckdb.DuckDBPyConnection, entity: contract.Entity, staged: str, out: str) -> None:
    """Create temp table `out`: every staged row with its verdict (see `verdict_statements`)."""
    for statement in verdict_statements(entity, staged, out):
        con.execute(statement)
