"""Hostile deliveries against the real loaders: every one ends in quarantine or a clear failure of
its own partition, none crashes the load, hangs, or touches a file outside the landing zone and
the warehouse.

Each case starts from one loaded, valid day (D0) and one valid delivery day (D1) of every entity
(`tests/landing_factory.py`), breaks one file of D1, and ingests with `shopsight.ingest.ingest`
(the same code the Dagster assets run). What must hold afterwards, whatever the breakage:

- `ingest` returned, in bounded time, without raising;
- the broken delivery is either `failed` with an error naming its file, or `loaded` with
  landed = loaded + quarantined + duplicates and only known reason codes in `raw.quarantine`;
- D0 is untouched, and the valid deliveries the breakage does not reach loaded cleanly;
- no file outside the warehouse's folder was created or changed (the landing zone included);
- `shopsight doctor`'s warehouse checks find the bookkeeping consistent.

Property-based cases run a few examples each in the normal suite (bounded); with
`SHOPSIGHT_LONG_TESTS=1` they run many more.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shopsight import contract
from shopsight.doctor import check_warehouse
from shopsight.ingest import ingest
from tests.landing_factory import folder, write_world
from tests.landing_factory import world as make_world
from tests.reliability_hostile import (
    claim_ten_gb,
    footer_length_claim,
    nested_json,
    rewrite_parquet_footer,
    wide_csv,
)

LONG = os.environ.get("SHOPSIGHT_LONG_TESTS") == "1"
EXAMPLES = 150 if LONG else 6
D0 = date(2015, 3, 1)
D1 = date(2015, 3, 2)
# One load of two tiny days takes about a second; anything near this is a hang.
LOAD_LIMIT_S = 60.0

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG,  # the normal suite is reproducible; the long run explores
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Which entities a broken delivery of `entity` may drag along: orders and their lines stand or
# fall together, and rows pointing at a rejected row are quarantined as unknown references.
AFFECTED: dict[str, set[str]] = {
    "orders": {"orders", "order_items", "shipments"},
    "order_items": {"orders", "order_items", "shipments"},
    "content_items": {"content_items", "content_events", "sessions"},
    "content_events": {"content_events"},
    "sessions": {"sessions"},
    "brands": {e.name for e in contract.ENTITIES},
    "skus": {"skus", "orders", "order_items", "shipments", "content_items", "content_events"},
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """D0 loaded into a warehouse, D1 delivered but not loaded: copied by every case."""
    root = tmp_path_factory.mktemp("fuzz_template")
    write_world(root / "landing", D0)
    ingest(root / "wh" / "warehouse.duckdb", root / "landing", "template")
    write_world(root / "landing", D1)
    return root


# --- the harness -------------------------------------------------------------------------------


@dataclass
class Case:
    root: Path
    landing: Path
    warehouse: Path
    outside: Path  # a folder beside the landing zone holding a "secret" file

    def file(self, entity: str, name: str = "part-0") -> Path:
        ext = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}
        return folder(self.landing, entity, D1) / (name + ext[contract.entity(entity).format])


def _tree(root: Path, skip: Path) -> dict[str, tuple[int, str]]:
    """Every file under `root` (not following links) but `skip`: size and content hash."""
    out: dict[str, tuple[int, str]] = {}
    for dirpath, _dirs, files in os.walk(root):
        if Path(dirpath) == skip or skip in Path(dirpath).parents:
            continue
        for name in files:
            path = Path(dirpath) / name
            if path.is_symlink():
                out[str(path)] = (-1, os.readlink(path))
                continue
            out[str(path)] = (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
    return out


@contextmanager
def case(template: Path) -> Iterator[Case]:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        root = Path(tmp)
        shutil.copytree(template / "landing", root / "landing", symlinks=True)
        shutil.copytree(template / "wh", root / "wh")
        outside = root / "outside"
        outside.mkdir()
        secret = outside / "secret.csv"
        secret.write_text("order_id,buyer_id\nSECRET-1,SECRET-BUYER\n")
        yield Case(root, root / "landing", root / "wh" / "warehouse.duckdb", outside)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Any]:
    return con.execute(sql, params or []).fetchall()


def load_and_judge(c: Case, broken: str, *, names: list[str] | None = None) -> dict[str, Any]:
    """Ingest D1 with the broken delivery of `broken` and check every invariant; returns the
    broken delivery's row of `ops.deliveries` as a dict."""
    before = _tree(c.root, skip=c.warehouse.parent)
    with duckdb.connect(str(c.warehouse), read_only=True) as con:
        d0 = _rows(
            con,
            "select entity, loaded_rows, quarantined_rows from ops.deliveries "
            "where dt = ? order by entity",
            [D0],
        )
    started = time.monotonic()
    loads = ingest(c.warehouse, c.landing, "fuzz")
    seconds = time.monotonic() - started
    assert seconds < LOAD_LIMIT_S, f"loading took {seconds:.0f} s"
    after = _tree(c.root, skip=c.warehouse.parent)
    assert after == before, "ingestion created or changed files outside the warehouse folder: " + (
        ", ".join(sorted(set(after.items()) ^ set(before.items()), key=str)[:5])
    )
    assert broken in loads
    with duckdb.connect(str(c.warehouse), read_only=True) as con:
        assert (
            _rows(
                con,
                "select entity, loaded_rows, quarantined_rows from ops.deliveries "
                "where dt = ? order by entity",
                [D0],
            )
            == d0
        ), "D0 changed"
        row = _rows(
            con,
            "select status, error, files, landed_rows, loaded_rows, quarantined_rows, "
            "duplicate_rows from ops.deliveries where entity = ? and dt = ?",
            [broken, D1],
        )
        assert len(row) == 1, f"{broken} dt={D1} recorded {len(row)} times"
        status, error, files, landed, loaded, quarantined, dups = row[0]
        rel = folder(c.landing, broken, D1).relative_to(c.landing).as_posix()
        if status == "failed":
            assert error and rel in error, f"the failure does not name the delivery: {error!r}"
            raw_rows = _rows(con, f"select count(*) from raw.{broken} where _dt = ?", [D1])
            assert raw_rows[0][0] == 0, "a failed delivery left rows behind"
        else:
            assert status == "loaded", status
            assert landed == loaded + quarantined + dups, (landed, loaded, quarantined, dups)
        reasons = {
            r[0]
            for r in _rows(
                con, "select distinct reason_code from raw.quarantine where dt = ?", [D1]
            )
        }
        assert reasons <= set(contract.REASON_CODES), reasons - set(contract.REASON_CODES)
        secret = (
            _rows(con, "select count(*) from raw.quarantine where raw_row like '%SECRET%'")[0][0]
            + _rows(con, "select count(*) from raw.orders where order_id like 'SECRET%'")[0][0]
        )
        assert secret == 0, "rows of a file outside the landing zone were read"
        clean = [e.name for e in contract.ENTITIES if e.name not in AFFECTED.get(broken, {broken})]
        bad = _rows(
            con,
            "select entity, status, quarantined_rows from ops.deliveries where dt = ? and "
            "(status <> 'loaded' or quarantined_rows > 0) and list_contains(?, entity)",
            [D1, clean],
        )
        assert not bad, f"valid deliveries were hurt by the broken {broken}: {bad}"
    state = check_warehouse(c.warehouse, c.landing, c.root / "none.duckdb", full_scan=True)
    problems = [f.message for f in state.findings if f.level == "fail"]
    assert not problems, problems
    return {
        "status": status,
        "error": error,
        "files": files,
        "landed": landed,
        "loaded": loaded,
        "quarantined": quarantined,
        "duplicates": dups,
    }


# --- property-based cases ----------------------------------------------------------------------

TEXT_ENTITIES = ["orders", "content_events", "brands", "content_items"]
ALL_FORMAT_ENTITIES = ["orders", "content_events", "sessions", "skus"]


@FUZZ
@given(entity=st.sampled_from(ALL_FORMAT_ENTITIES), keep=st.floats(0.0, 0.999))
@pytest.mark.timeout(600)
def test_truncated_files(template: Path, entity: str, keep: float) -> None:
    with case(template) as c:
        path = c.file(entity)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])
        load_and_judge(c, entity)


@FUZZ
@given(
    entity=st.sampled_from(ALL_FORMAT_ENTITIES),
    garbage=st.binary(min_size=0, max_size=2048),
    how=st.sampled_from(["replace", "append", "insert"]),
)
@example(entity="sessions", garbage=b"PAR1" + b"\x00" * 64 + b"PAR1", how="replace")
@example(entity="content_events", garbage=b"\x00\xff" * 100, how="insert")
@pytest.mark.timeout(600)
def test_binary_garbage(template: Path, entity: str, garbage: bytes, how: str) -> None:
    with case(template) as c:
        path = c.file(entity)
        data = path.read_bytes()
        middle = len(data) // 2
        path.write_bytes(
            {
                "replace": garbage,
                "append": data + garbage,
                "insert": data[:middle] + garbage + data[middle:],
            }[how]
        )
        load_and_judge(c, entity)


@FUZZ
@given(
    entity=st.sampled_from(TEXT_ENTITIES),
    encoding=st.sampled_from(["utf-16", "utf-32", "latin-1", "gb18030", "cp1252", "utf-8-sig"]),
    text=st.text(min_size=1, max_size=40),
)
@example(entity="brands", encoding="gb18030", text="天猫旗舰店")
@example(entity="orders", encoding="utf-16", text="x")
@pytest.mark.timeout(600)
def test_wrong_encodings(template: Path, entity: str, encoding: str, text: str) -> None:
    with case(template) as c:
        path = c.file(entity)
        content = path.read_text(encoding="utf-8")
        # Put the text into the first string value of the file, then re-encode the whole file.
        content = content.replace("b1", "b1" + text.replace('"', "").replace(",", ""), 1)
        try:
            data = content.encode(encoding, errors="replace")
        except UnicodeEncodeError:  # lone surrogates: write them as UTF-8 with escapes
            data = content.encode("utf-8", errors="backslashreplace")
        path.write_bytes(data)
        load_and_judge(c, entity)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@FUZZ
@given(
    lines=st.lists(
        st.one_of(
            _json.map(lambda v: __import__("json").dumps(v)),
            st.dictionaries(
                st.sampled_from([c.name for c in contract.entity("content_events").columns]),
                _json,
            ).map(lambda v: __import__("json").dumps(v)),
            st.text(max_size=50).filter(lambda s: "\n" not in s and "\r" not in s),
        ),
        min_size=1,
        max_size=6,
    )
)
@pytest.mark.timeout(600)
def test_random_json_lines(template: Path, lines: list[str]) -> None:
    with case(template) as c:
        path = c.file("content_events")
        with path.open("a", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line + "\n")
        load_and_judge(c, "content_events")


_WRONG_TYPES: dict[str, Callable[[int], pa.Array]] = {
    "int64": lambda n: pa.array(list(range(n)), pa.int64()),
    "float64": lambda n: pa.array([1.5] * n, pa.float64()),
    "bool": lambda n: pa.array([True] * n, pa.bool_()),
    "binary": lambda n: pa.array([b"\xff\x00"] * n, pa.binary()),
    "string": lambda n: pa.array(["not a value"] * n, pa.string()),
    "timestamp": lambda n: pa.array([0] * n, pa.timestamp("s")),
    "list": lambda n: pa.array([["a", "b"]] * n, pa.list_(pa.string())),
    "struct": lambda n: pa.array([{"x": 1}] * n, pa.struct([("x", pa.int64())])),
    "null": lambda n: pa.nulls(n),
    "decimal": lambda n: pa.array([None] * n, pa.decimal128(38, 10)),
}


@FUZZ
@given(
    entity=st.sampled_from(["sessions", "ad_spend", "identity_links"]),
    column_index=st.integers(0, 20),
    wrong=st.sampled_from(sorted(_WRONG_TYPES)),
)
@pytest.mark.timeout(600)
def test_parquet_with_wrong_types(
    template: Path, entity: str, column_index: int, wrong: str
) -> None:
    import pyarrow.parquet as pq

    with case(template) as c:
        path = c.file(entity)
        table = pq.read_table(path)
        name = table.column_names[column_index % table.num_columns]
        idx = table.column_names.index(name)
        table = table.set_column(idx, name, _WRONG_TYPES[wrong](table.num_rows))
        pq.write_table(table, path)
        load_and_judge(c, entity)


@FUZZ
@given(
    name=st.text(
        st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=60,
    )
)
@example(name="*")
@example(name="[a]")
@example(name="?")
@example(name="**")
@example(name=".")
@example(name=".hidden")
@example(name="_underscore")
@example(name="it's")
@example(name="..%2F..%2Fetc%2Fpasswd")
@example(name="new\nline")
@example(name="a\\*")  # a backslash before a glob character defeats bracket-escaping ([*])
@example(name="\\[b]")
@pytest.mark.timeout(600)
def test_any_file_name_loads_exactly_its_rows(template: Path, name: str) -> None:
    """The contract allows any file name: a second file of the delivery under `name` must add
    exactly its own rows (DuckDB must not read it as a pattern matching other files)."""
    with case(template) as c:
        first = c.file("brands")
        second = first.with_name(name + ".csv")
        if len(second.name.encode()) > 255:
            second = first.with_name(name[:40] + ".csv")
        shutil.copy(first, second)
        rows_per_file = len(make_world(D1)["brands"])
        judged = load_and_judge(c, "brands")
        assert judged["status"] == "loaded", judged["error"]
        assert judged["files"] == 2
        assert judged["landed"] == 2 * rows_per_file, judged
        assert judged["duplicates"] == rows_per_file, judged


# --- hand-made hostile cases -------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_csv_with_a_million_columns_fails_its_delivery_quickly(template: Path) -> None:
    with case(template) as c:
        path = c.file("orders")
        lines = path.read_text().splitlines()
        wide_csv(path, lines[0].split(","), [ln.split(",") for ln in lines[1:]], 1_000_000)
        judged = load_and_judge(c, "orders")
        assert judged["status"] == "failed"
        assert "column" in judged["error"].lower()


@pytest.mark.timeout(120)
def test_parquet_whose_metadata_claims_ten_gigabytes(template: Path) -> None:
    with case(template) as c:
        path = c.file("sessions")
        rewrite_parquet_footer(path, claim_ten_gb)
        judged = load_and_judge(c, "sessions")
        assert judged["status"] == "failed"


@pytest.mark.timeout(120)
def test_parquet_whose_footer_length_is_absurd(template: Path) -> None:
    with case(template) as c:
        footer_length_claim(c.file("ad_spend"))
        judged = load_and_judge(c, "ad_spend")
        assert judged["status"] == "failed"
        assert "ad_spend" in judged["error"]


@pytest.mark.parametrize("where", ["as a value", "as the whole line", "inside an array column"])
@pytest.mark.timeout(120)
def test_deeply_nested_json(template: Path, where: str) -> None:
    deep = nested_json(200_000)
    with case(template) as c:
        path = c.file("content_items")
        line = {
            "as a value": '{"content_id": "deep", "creator_id": ' + deep + "}",
            "as the whole line": deep,
            "inside an array column": '{"content_id": "deep", "sku_ids": ' + deep + "}",
        }[where]
        with path.open("a") as fh:
            fh.write(line + "\n")
        judged = load_and_judge(c, "content_items")
        assert judged["status"] == "failed" or judged["quarantined"] >= 1


def test_file_symlinked_out_of_the_landing_zone_is_refused(template: Path) -> None:
    with case(template) as c:
        link = c.file("orders", "part-1")
        link.symlink_to(c.outside / "secret.csv")
        judged = load_and_judge(c, "orders")
        assert judged["status"] == "failed"
        assert "link" in judged["error"].lower()


def test_delivery_folder_symlinked_out_of_the_landing_zone_is_refused(template: Path) -> None:
    with case(template) as c:
        real = folder(c.landing, "brands", D1)
        moved = c.outside / "brands-dt"
        shutil.move(real, moved)
        real.symlink_to(moved, target_is_directory=True)
        judged = load_and_judge(c, "brands")
        assert judged["status"] == "failed"
        assert "link" in judged["error"].lower()


def test_entity_folder_symlinked_out_of_the_landing_zone_is_refused(template: Path) -> None:
    """A link one level up would make every delivery of the entity read from outside."""
    with case(template) as c:
        real = folder(c.landing, "brands", D1).parent
        moved = c.outside / "brands"
        shutil.move(real, moved)
        real.symlink_to(moved, target_is_directory=True)
        judged = load_and_judge(c, "brands")
        assert judged["status"] == "failed"
        assert "entity folder is a symbolic link" in judged["error"]


def test_file_name_that_is_not_utf8_fails_only_its_delivery(template: Path) -> None:
    with case(template) as c:
        first = c.file("skus")
        odd = Path(os.fsdecode(bytes(first.parent) + b"/part-\xff\xfe.csv"))
        shutil.copy(first, odd)
        judged = load_and_judge(c, "skus")
        assert judged["status"] == "failed"
        assert "name" in judged["error"].lower()


def test_incomplete_and_stray_files_are_reported_not_loaded(template: Path) -> None:
    with case(template) as c:
        (folder(c.landing, "orders", D1) / "notes.txt").write_text("hello")
        judged = load_and_judge(c, "orders")
        assert judged["status"] == "failed"
        assert "notes.txt" in judged["error"]
