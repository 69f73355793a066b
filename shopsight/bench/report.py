"""The benchmark's result: printed as tables, saved as JSON for comparing runs.

One `BenchReport` holds sections of measured stages (each a `StageResult`), the dashboard's
query latencies, the ratios against the baselines with their targets, and whether the baselines
computed the same numbers as the product. The JSON has the same content as the printed tables.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from shopsight.bench.measure import StageResult
from shopsight.settings import REPO_ROOT

RESULTS_DIR = REPO_ROOT / "bench" / "results"
STAGE_COLUMNS = ("stage", "wall s", "rows", "rows/s", "peak RSS MiB")


@dataclass
class Ratio:
    """A ratio the issue sets a target for; `ok` is None when it could not be measured."""

    name: str
    value: float | None
    target: str
    ok: bool | None
    definition: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": None if self.value is None else round(self.value, 3),
            "target": self.target,
            "ok": self.ok,
            "definition": self.definition,
        }


@dataclass
class BenchReport:
    options: dict[str, Any]
    machine: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, list[StageResult]] = field(default_factory=dict)
    queries: list[dict[str, Any]] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    agreement: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def section(self, name: str) -> list[StageResult]:
        return self.sections.setdefault(name, [])

    def stage(self, section: str, name: str) -> StageResult | None:
        return next((r for r in self.sections.get(section, []) if r.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "options": self.options,
            "machine": self.machine,
            "sections": {k: [r.as_dict() for r in v] for k, v in self.sections.items()},
            "dashboard_queries": self.queries,
            "ratios": [r.as_dict() for r in self.ratios],
            "agreement": self.agreement,
            "notes": self.notes,
        }


def machine_info() -> dict[str, Any]:
    """What the figures were measured on: they mean little without it."""
    import duckdb

    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu_model = platform.processor()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "git_commit": commit,
        # Other work on the machine inflates every figure; the 1-minute load says how much.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _fmt(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def stage_table(results: list[StageResult]) -> str:
    rows = [
        (
            r.name,
            _fmt(r.seconds),
            _fmt(r.rows),
            _fmt(r.rows_per_second, 0),
            _fmt(None if r.peak_rss_bytes is None else r.peak_rss_bytes / 2**20, 0),
        )
        for r in results
    ]
    return _table(STAGE_COLUMNS, rows)


def query_table(queries: list[dict[str, Any]]) -> str:
    headers = ("page / query", "runs", "cold p50 ms", "cold p95 ms", "warm p50 ms", "warm p95 ms")
    rows = [
        (
            f"{q['page']} / {q['query']}",
            str(q["runs"]),
            _fmt(q["cold_p50_ms"], 1),
            _fmt(q["cold_p95_ms"], 1),
            _fmt(q["warm_p50_ms"], 1),
            _fmt(q["warm_p95_ms"], 1),
        )
        for q in queries
    ]
    return _table(headers, rows)


def ratio_table(ratios: list[Ratio]) -> str:
    status = {True: "met", False: "MISSED", None: "n/a"}
    rows = [(r.name, _fmt(r.value), r.target, status[r.ok]) for r in ratios]
    return _table(("ratio / target", "value", "target", "status"), rows)


def render(report: BenchReport) -> str:
    """The whole report as text: one table per section, then queries, ratios, agreement."""
    opts = report.options
    m = report.machine
    parts = [
        f"Shopsight bench: scale {opts.get('scale')}, {opts.get('days')} days, engine "
        f"{opts.get('engine')}, started {report.started_at}",
        f"machine: {m.get('cpus')} CPUs ({m.get('cpu_model')}), {m.get('memory_gib')} GiB, "
        f"Python {m.get('python')}, DuckDB {m.get('duckdb')}, commit {m.get('git_commit')}, "
        f"load average at start {m.get('load_average_at_start')}",
    ]
    for name, results in report.sections.items():
        if results:
            parts += ["", f"== {name}", stage_table(results)]
    if report.queries:
        parts += ["", "== dashboard queries (serving snapshot)", query_table(report.queries)]
    if report.ratios:
        parts += ["", "== ratios", ratio_table(report.ratios)]
        parts += [f"  {r.name}: {r.definition}" for r in report.ratios]
    if report.agreement:
        parts += ["", "== do the baselines compute the product's numbers?"]
        for name, problems in report.agreement.items():
            verdict = "identical" if not problems else f"{len(problems)} differences"
            parts.append(f"{name}: {verdict}")
            parts += [f"    {p}" for p in problems[:5]]
    if report.notes:
        parts += ["", "== notes", *(f"- {n}" for n in report.notes)]
    return "\n".join(parts)


def default_path(report: BenchReport) -> Path:
    day = report.started_at[:10]
    scale = f"{report.options.get('scale')}".replace("/", "_")
    return RESULTS_DIR / f"{day}-{scale}.json"


def write_json(report: BenchReport, path: Path | None = None) -> Path:
    path = path or default_path(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.as_dict(), indent=2, default=str) + "\n")
    return path
