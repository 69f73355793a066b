"""`shopsight bench` end to end at the smallest scale: the report's shape, not its timings.

One run of the main sections (simulate + pipeline, lower bound, peer, dashboard queries) on a
few simulated days, shared by the tests of this module. The fixed-overhead and incremental
sections are each several more whole pipeline runs (about a minute each even on a tiny world,
most of it dbt's tests), too slow for the suite; their parts are tested below without the runs.
The figures themselves depend on the machine; what must hold everywhere is that each stage was
measured, the ratios were computed, the JSON was written, and the baselines computed the same
numbers as the product.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shopsight.bench import incremental
from shopsight.bench import report as report_mod
from shopsight.bench.command import SECTIONS
from shopsight.bench.dashboard import _percentile, query_functions
from shopsight.bench.measure import PeakSampler, StageResult, Timer
from shopsight.bench.suite import BenchOptions, run_bench
from shopsight.cli import build_parser

DAYS = 4


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, list[str]]:
    root = tmp_path_factory.mktemp("bench")
    lines: list[str] = []
    options = BenchOptions(
        scale=0.01,
        days=DAYS,
        start=date(2015, 11, 8),  # Double 11 inside the window
        workdir=root / "work",
        out=root / "result.json",
        query_runs=2,
        memory_limit="1GB",
        skip=("overheads", "incremental"),
        keep=True,
    )
    report, path = run_bench(options, progress=lines.append)
    return report, path, lines


def test_every_section_is_measured(bench_run: tuple[Any, Path, list[str]]) -> None:
    report, _, _ = bench_run
    names = {section: [r.name for r in results] for section, results in report.sections.items()}
    assert names["pipeline"][:5] == ["simulate", "ingest", "gates", "dbt build", "publish"]
    assert names["pipeline"][-1] == "pipeline total"
    assert names["baselines"] == [
        "lower bound: load landing",
        "lower bound: marts",
        "lower bound total",
        "peer (pandas, 3 marts)",
    ]
    assert "fixed overheads" not in names and "incremental daily runs" not in names
    for results in report.sections.values():
        for r in results:
            assert r.seconds > 0, r.name


def test_rows_and_memory_are_reported(bench_run: tuple[Any, Path, list[str]]) -> None:
    report, _, _ = bench_run
    pipeline = {r.name: r for r in report.sections["pipeline"]}
    for name in ("simulate", "ingest", "gates", "dbt build", "publish", "pipeline total"):
        assert pipeline[name].rows and pipeline[name].rows > 0, name
        assert pipeline[name].rows_per_second and pipeline[name].rows_per_second > 0, name
    # ingestion loaded every simulated row (clean data: nothing quarantined)
    assert pipeline["ingest"].rows == pipeline["simulate"].rows
    assert pipeline["pipeline total"].peak_rss_bytes > 50 * 2**20
    assert all(r.peak_rss_bytes for r in report.sections["baselines"])


def test_baselines_compute_the_products_numbers(bench_run: tuple[Any, Path, list[str]]) -> None:
    report, _, _ = bench_run
    assert set(report.agreement) == {"lower bound vs dbt marts", "peer vs dbt marts"}
    assert report.agreement == {"lower bound vs dbt marts": [], "peer vs dbt marts": []}
    lb_steps = report.stage("baselines", "lower bound: marts").detail["step_seconds"]
    assert len(lb_steps) == 12  # the shared script and the eleven catalogue marts


def test_ratios_and_targets_are_present(bench_run: tuple[Any, Path, list[str]]) -> None:
    report, _, _ = bench_run
    ratios = {r.name: r for r in report.ratios}
    for name in (
        "pipeline / lower bound",
        "peer / Shopsight",
        "dashboard warm p95, ms (worst query)",
        "dashboard cold p95, ms (worst query)",
        "pipeline peak RSS, GiB",
    ):
        assert name in ratios, name
        assert ratios[name].value is not None and ratios[name].value > 0, name
    # targets tied to scale 1 or 10 are not judged at scale 0.01
    assert ratios["dashboard warm p95, ms (worst query)"].ok is None
    assert ratios["pipeline / lower bound"].ok in (True, False)


def test_dashboard_times_every_query_function(bench_run: tuple[Any, Path, list[str]]) -> None:
    report, _, _ = bench_run
    timed = {q["query"].split(" [")[0] for q in report.queries}
    assert set(query_functions()) <= timed
    for q in report.queries:
        assert q["runs"] >= 2
        assert q["cold_p50_ms"] > 0 and q["cold_p95_ms"] >= q["cold_p50_ms"]
        if q["warm_p50_ms"] is not None:
            assert q["warm_p95_ms"] >= q["warm_p50_ms"] > 0
    assert all(q["page"] != "(no page)" for q in report.queries), "a query no page uses"


def test_report_is_printed_and_saved(bench_run: tuple[Any, Path, list[str]]) -> None:
    report, path, lines = bench_run
    text = lines[-1]
    for heading in ("== pipeline", "== baselines", "== dashboard queries", "== ratios"):
        assert heading in text
    assert "wall s" in text and "rows/s" in text and "peak RSS MiB" in text
    data = json.loads(path.read_text())
    assert data["options"]["scale"] == 0.01
    assert set(data["sections"]) == set(report.sections)
    first = data["sections"]["pipeline"][0]
    assert set(first) == {"name", "seconds", "rows", "rows_per_second", "peak_rss_mib", "detail"}
    assert {r["name"] for r in data["ratios"]} == {r.name for r in report.ratios}
    assert data["machine"]["cpus"] >= 1
    assert data["notes"] == [], "a section failed"


def test_default_json_path_is_dated_and_git_ignored() -> None:
    rep = report_mod.BenchReport(options={"scale": 1.0})
    path = report_mod.default_path(rep)
    assert path.parent == report_mod.RESULTS_DIR
    assert path.name == f"{rep.started_at[:10]}-1.0.json"
    ignored = (report_mod.REPO_ROOT / ".gitignore").read_text().splitlines()
    assert "bench/results/" in ignored


def test_cli_parses_bench_options() -> None:
    args = build_parser().parse_args(
        ["bench", "--scale", "0.5", "--days", "30", "--skip", "peer,incremental"]
    )
    assert (args.scale, args.days, args.skip, args.engine) == (
        0.5,
        30,
        ["peer", "incremental"],
        "duckdb",
    )
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "--skip", "everything"])
    assert "incremental" in SECTIONS


def test_reveal_links_deliveries_up_to_a_date(tmp_path: Path) -> None:
    source = tmp_path / "source"
    for dt in ("2015-01-01", "2015-01-02", "2015-01-03"):
        folder = source / "sales" / "orders" / f"dt={dt}"
        folder.mkdir(parents=True)
        (folder / "part-0.csv").write_text("order_id\n")
        (folder / "_SUCCESS").write_text("")
    landing = tmp_path / "landing"
    assert incremental.reveal(source, landing, date(2015, 1, 2)) == 2
    assert sorted(p.name for p in (landing / "sales" / "orders").iterdir()) == [
        "dt=2015-01-01",
        "dt=2015-01-02",
    ]
    linked = landing / "sales" / "orders" / "dt=2015-01-01" / "part-0.csv"
    assert linked.stat().st_ino == (source / "sales/orders/dt=2015-01-01/part-0.csv").stat().st_ino
    assert incremental.reveal(source, landing, date(2015, 1, 2)) == 0  # nothing new
    assert incremental.reveal(source, landing, date(2015, 1, 3)) == 1


def test_growth_table_names_what_grows() -> None:
    short = {"stages": {"ingest": 1.0, "dbt build": 4.0}}
    long = {"stages": {"ingest": 1.1, "dbt build": 8.0}}
    growth = incremental.growth_by_part(short, long, "stages")
    assert list(growth) == ["dbt build", "ingest"]
    assert growth["dbt build"]["ratio"] == 2.0


def test_peak_sampler_sees_an_allocation() -> None:
    with PeakSampler(interval=0.01) as sampler:
        before = sampler.peak
        block = bytearray(200 * 2**20)  # 200 MiB, touched so it is resident
        block[::4096] = b"x" * len(block[::4096])
        import time

        time.sleep(0.1)
        del block
    assert sampler.peak - before > 150 * 2**20
    assert sampler.samples and sampler.peak_between(0, float("inf")) == max(
        rss for _, rss in sampler.samples
    )


def test_timer_records_rows_per_second() -> None:
    timer = Timer(progress=lambda line: None)
    with timer.stage("work") as result:
        result.rows = 1000
        sum(range(100_000))
    got = timer.get("work")
    assert got.rows_per_second == pytest.approx(1000 / got.seconds)
    assert StageResult("x", 0.0, rows=5).rows_per_second is None


def test_percentile_is_continuous() -> None:
    assert _percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert _percentile([10.0], 0.95) == 10.0
    assert _percentile([0.0, 100.0], 0.95) == pytest.approx(95.0)


def test_incremental_summary_uses_the_fastest_one_day_runs() -> None:
    run = {"stages": {"ingest": 1.0}, "dbt_node_seconds": {"model.a": 2.0}}
    one_year = [
        {**run, "seconds": 10.0, "rows_loaded": 100},
        {**run, "seconds": 8.0, "rows_loaded": 90},
    ]
    two_years = [
        {
            "stages": {"ingest": 1.5},
            "dbt_node_seconds": {"model.a": 5.0},
            "seconds": 12.0,
            "rows_loaded": 95,
        }
    ]
    summary = incremental.summarise(one_year, two_years, [*one_year, *two_years], 365)
    assert summary["one_day_seconds"] == [8.0, 12.0]
    assert summary["ratio"] == pytest.approx(1.5)
    assert summary["dbt_node_growth_top"]["model.a"]["growth_s"] == 3.0


def test_a_failing_overhead_command_is_an_error_not_a_figure() -> None:
    import sys

    from shopsight.bench import overheads

    timer = Timer(progress=lambda line: None)
    ok = overheads._timed_subprocess(timer, "python start", [sys.executable, "-c", "pass"])
    assert ok.seconds > 0 and ok.peak_rss_bytes
    with pytest.raises(RuntimeError, match="exit 3 on purpose"):
        overheads._timed_subprocess(
            timer,
            "broken",
            [sys.executable, "-c", "import sys; print('exit 3 on purpose'); sys.exit(3)"],
        )
