"""Where Shopsight keeps its files, from the environment with repo-relative defaults.

Every component (CLI, Dagster resources, the dbt profile, the dashboard) reads its paths from
here or from the same environment variables, so one `export` moves the whole deployment.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "data"


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    serving: Path
    validations_dir: Path
    dbt_project_dir: Path

    def export(self) -> None:
        """Put the paths into the environment so that child processes (dbt) agree with us."""
        os.environ["SHOPSIGHT_LANDING_DIR"] = str(self.landing_dir)
        os.environ["SHOPSIGHT_WAREHOUSE"] = str(self.warehouse)
        os.environ["SHOPSIGHT_SERVING"] = str(self.serving)
        os.environ["SHOPSIGHT_VALIDATIONS_DIR"] = str(self.validations_dir)


def load() -> Settings:
    """Read the settings now (not at import), so tests can point them at temporary folders."""
    warehouse = _path("SHOPSIGHT_WAREHOUSE", DATA_DIR / "warehouse.duckdb")
    return Settings(
        landing_dir=_path("SHOPSIGHT_LANDING_DIR", DATA_DIR / "landing"),
        warehouse=warehouse,
        serving=_path("SHOPSIGHT_SERVING", warehouse.with_name("serving.duckdb")),
        validations_dir=_path("SHOPSIGHT_VALIDATIONS_DIR", warehouse.parent / "validations"),
        dbt_project_dir=REPO_ROOT,
    )


def add_location_arguments(parser: argparse.ArgumentParser) -> None:
    """`--landing`, `--warehouse`, `--wait`: shared by the commands that write the warehouse."""
    parser.add_argument("--landing", type=Path, help="landing root (default: settings)")
    parser.add_argument("--warehouse", type=Path, help="warehouse DuckDB file (default: settings)")
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to this long for another run to release the warehouse (default 0)",
    )


def load_with_overrides(args: argparse.Namespace) -> Settings:
    """Settings after `--landing` / `--warehouse`, exported so child processes (dbt) agree."""
    if args.landing:
        os.environ["SHOPSIGHT_LANDING_DIR"] = str(args.landing.expanduser().resolve())
    if args.warehouse:
        os.environ["SHOPSIGHT_WAREHOUSE"] = str(args.warehouse.expanduser().resolve())
    return load()
