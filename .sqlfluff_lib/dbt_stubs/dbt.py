"""The cross-database `dbt.*` macros our models call, rendered as DuckDB SQL for linting."""

from __future__ import annotations


def concat(fields: list[str]) -> str:
    return "concat(" + ", ".join(fields) + ")"


def dateadd(datepart: str, interval: object, from_date_or_timestamp: str) -> str:
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def date_spine(datepart: str, start_date: str, end_date: str) -> str:
    return f"select {start_date} as date_{datepart} where {start_date} < {end_date}"


def safe_cast(field: str, type_: str) -> str:
    return f"try_cast({field} as {type_})"


def type_string() -> str:
    return "varchar"


def type_int() -> str:
    return "integer"


def type_bigint() -> str:
    return "bigint"


def type_numeric() -> str:
    return "numeric(28, 6)"


def type_float() -> str:
    return "double"


def type_timestamp() -> str:
    return "timestamp"


def type_boolean() -> str:
    return "boolean"
