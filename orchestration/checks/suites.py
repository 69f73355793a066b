"""Great Expectations suites for the raw tables, kept as reviewable JSON in `expectations/`.

The first version of each suite is derived from the landing contract (`python -m
orchestration.checks.suites` writes the missing files); after that the JSON files are the
source of truth and may be edited by hand (e.g. to add a bound) and reviewed like code. The
suites re-check the typed tables independently of the loader's SQL: defence in depth.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from shopsight import contract
from shopsight.settings import REPO_ROOT

EXPECTATIONS_DIR = REPO_ROOT / "expectations"
# Another folder of suites (e.g. a stricter set under review) can be tried with this variable.
EXPECTATIONS_DIR_ENV = "SHOPSIGHT_EXPECTATIONS_DIR"
LINEAGE = [name for name, _ in contract.LINEAGE_COLUMNS]


def suite_path(entity: str, directory: Path | None = None) -> Path:
    """The suite file of `entity`: in `directory`, `$SHOPSIGHT_EXPECTATIONS_DIR` or
    `expectations/`."""
    directory = directory or Path(os.environ.get(EXPECTATIONS_DIR_ENV) or EXPECTATIONS_DIR)
    return directory / f"{entity}.json"


def _exp(type_: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": type_, "kwargs": kwargs, "meta": {}}


def contract_suite(e: contract.Entity) -> dict[str, Any]:
    """The suite the contract implies for `raw.<entity>`, as GX's JSON form."""
    exps = [
        _exp(
            "expect_table_columns_to_match_ordered_list",
            column_list=list(e.column_names) + LINEAGE,
        )
    ]
    for c in e.columns:
        if c.required:
            exps.append(_exp("expect_column_values_to_not_be_null", column=c.name))
    for c in e.columns:
        if c.enum:
            exps.append(
                _exp("expect_column_values_to_be_in_set", column=c.name, value_set=list(c.enum))
            )
    for c in e.columns:
        if c.min_value is not None:
            exps.append(
                _exp("expect_column_values_to_be_between", column=c.name, min_value=c.min_value)
            )
    exps.append(_exp("expect_compound_columns_to_be_unique", column_list=[*e.version_key, "_dt"]))
    for name in ("_source_file", "_row_number", "_dt", "_loaded_at"):
        exps.append(_exp("expect_column_values_to_not_be_null", column=name))
    return {
        "name": f"raw.{e.name}",
        "expectations": exps,
        "meta": {"generated_from": f"shopsight.contract {e.key}"},
        "notes": f"Gate on raw.{e.name}: run on the deliveries each Dagster run loads.",
    }


def write_missing(directory: Path = EXPECTATIONS_DIR, *, force: bool = False) -> list[Path]:
    """Write the contract-derived suite of every entity that has none (all with `force`)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for e in contract.ENTITIES:
        path = suite_path(e.name, directory)
        if force or not path.exists():
            path.write_text(json.dumps(contract_suite(e), indent=2) + "\n")
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite existing suites")
    parser.add_argument("--dir", type=Path, default=EXPECTATIONS_DIR)
    args = parser.parse_args()
    for path in write_missing(args.dir, force=args.force):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
