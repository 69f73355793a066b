"""`shopsight`: the one front door to the project.

Each subcommand lives in its own module exposing `HELP`, `add_arguments(parser)` and
`run(args) -> int`. Modules keep heavy imports inside `run`, so `shopsight --help` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, str] = {
    "simulate": "shopsight.simulator.command",
    "run": "orchestration.command",
    "serve": "shopsight.serve",
    "demo": "shopsight.demo",
    "bench": "shopsight.bench.command",
    "doctor": "shopsight.doctor",
    "backfill": "shopsight.backfill",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shopsight",
        description="Shopsight: marketplace data warehouse and executive BI "
        "(DuckDB + dbt + Dagster + Great Expectations + Streamlit).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # a command whose module is not written yet is simply absent
            raise
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args._module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
