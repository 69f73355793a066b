"""How a landed value becomes a typed value, as SQL expressions.

Every reader stages each contract column three ways: the value as text (for messages, raw rows
and duplicate detection), the typed value, and whether the value was readable as its type.
The text rules below are strict on purpose: `try_cast` alone would read `1.5` as the integer 2
and a timestamp without an offset as UTC, which would hide a broken feed.
"""

from __future__ import annotations

from shopsight import contract

# ISO 8601 with a mandatory offset (`Z`, `+08:00`, `+0800`); `T` or a space between date and time.
TIMESTAMP_PATTERN = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)"
DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
INTEGER_PATTERN = r"[+-]?\d+"
# Money is CNY with two decimals: a third decimal would be silently rounded, so it is bad_type.
DECIMAL_PATTERN = r"[+-]?\d+(\.\d{1,2})?"

TYPE_WORDS: dict[str, str] = {
    "string": "text",
    "integer": "an integer",
    "decimal": "a decimal with at most two places",
    "timestamp": "an ISO 8601 timestamp with an offset",
    "date": "a YYYY-MM-DD date",
    "boolean": "true or false",
    "string_array": "a JSON array of strings",
}


def _matches(expr: str, pattern: str) -> str:
    return f"regexp_full_match({expr}, '{pattern}')"


def typed_from_text(expr: str, ctype: contract.ColumnType) -> str:
    """SQL turning the text `expr` into the column's DuckDB type; NULL when it cannot be read."""
    target = contract.DUCKDB_TYPES[ctype]
    if ctype == "string":
        return expr
    if ctype == "integer":
        return f"case when {_matches(expr, INTEGER_PATTERN)} then try_cast({expr} as {target}) end"
    if ctype == "decimal":
        return f"case when {_matches(expr, DECIMAL_PATTERN)} then try_cast({expr} as {target}) end"
    if ctype == "timestamp":
        # DuckDB reads every offset form the pattern admits (`Z`, `+08`, `+0800`, `+08:00`);
        # the instant is kept in UTC.
        readable = _matches(expr, TIMESTAMP_PATTERN)
        return f"case when {readable} then try_cast({expr} as {target}) end"
    if ctype == "date":
        return f"case when {_matches(expr, DATE_PATTERN)} then try_cast({expr} as {target}) end"
    if ctype == "boolean":
        return (
            f"case lower({expr}) when 'true' then true when 'false' then false "
            f"when '1' then true when '0' then false end"
        )
    if ctype == "string_array":
        return (
            f"case when json_valid({expr}) and json_type({expr}) = 'ARRAY' and coalesce("
            f"list_bool_and(list_transform(json_type({expr}, '$[*]'), lambda t: t = 'VARCHAR')),"
            f" true) then try_cast(json_extract_string({expr}, '$[*]') as {target}) end"
        )
    raise ValueError(f"no text conversion for column type {ctype!r}")


INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


def typed_from_native(expr: str, native: str, ctype: contract.ColumnType) -> str:
    """SQL turning a Parquet value of DuckDB type `native` into the column's type, or NULL.

    Parquet carries real types, so a matching type converts directly (timestamps adjusted to UTC
    or naive-as-UTC become instants in the UTC session; money may be decimal or double). Text
    columns go through the strict text rules.
    """
    target = contract.DUCKDB_TYPES[ctype]
    native = native.upper()
    if native == "VARCHAR":
        return typed_from_text(f"nullif({expr}, '')", ctype)
    if ctype == "string":
        return f"cast({expr} as varchar)"
    if ctype == "integer":
        if native.startswith(FLOAT_TYPES) or native.startswith("DECIMAL"):
            return f"case when {expr} = trunc({expr}) then try_cast({expr} as {target}) end"
        return f"try_cast({expr} as {target})"
    if ctype == "decimal":
        if native.startswith(FLOAT_TYPES):
            return f"try_cast(round({expr}, 2) as {target})"
        return f"try_cast({expr} as {target})"
    if ctype == "timestamp":
        if native.startswith("TIMESTAMP"):
            return f"try_cast({expr} as {target})"
        return f"null::{target}"  # a date or a number is not an instant
    if ctype == "date":
        return f"try_cast({expr} as {target})" if native == "DATE" else f"null::{target}"
    if ctype == "boolean":
        return f"{expr}" if native == "BOOLEAN" else f"null::{target}"
    if ctype == "string_array":
        return f"try_cast({expr} as {target})" if native.endswith("[]") else f"null::{target}"
    raise ValueError(f"no Parquet conversion for column type {ctype!r}")
