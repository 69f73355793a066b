"""The dbt project's structure and documentation, read from the manifest `dbt docs generate`
writes (against a warehouse with empty raw tables, as a fresh install would)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from shopsight import contract
from shopsight.settings import REPO_ROOT
from tests.dbt_support import SPEC_MARTS, run_dbt

LINEAGE = [name for name, _ in contract.LINEAGE_COLUMNS]
DASHBOARD_PAGES = {"Overview", "Mobile", "Content", "Experiments", "Omnichannel", "Data health"}


@pytest.fixture(scope="module")
def docs(dbt_empty_warehouse: tuple[Path, Path]) -> dict[str, Any]:
    warehouse, work = dbt_empty_warehouse
    run_dbt(["docs", "generate", "--empty-catalog"], warehouse, work)
    target = work / "target"
    assert (target / "index.html").exists() and (target / "catalog.json").exists()
    return json.loads((target / "manifest.json").read_text())


def _models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        n["name"]: n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["package_name"] == "shopsight"
    }


def test_sources_mirror_the_contract(docs: dict[str, Any]) -> None:
    sources = {s["name"]: s for s in docs["sources"].values()}
    assert set(sources) == {e.name for e in contract.ENTITIES}
    for entity in contract.ENTITIES:
        s = sources[entity.name]
        assert (s["source_name"], s["schema"]) == (entity.source, "raw")
        assert list(s["columns"]) == [*entity.column_names, *LINEAGE], entity.name
        assert s["config"]["meta"]["dagster"]["asset_key"] == ["raw", entity.name]


INCREMENTAL_STAGING = {
    # the two largest event sources, by day
    "stg_channel__sessions",
    "stg_content__content_events",
    # entities delivered again over time, by key (macros/cross_db/incremental_by_key.sql)
    "stg_content__content_items",
    "stg_sales__orders",
    "stg_sales__order_items",
    "stg_sales__shipments",
}


def test_one_staging_model_per_source(docs: dict[str, Any]) -> None:
    models = _models(docs)
    for entity in contract.ENTITIES:
        name = f"stg_{entity.source}__{entity.name}"
        assert name in models, name
        # The event sources and the versioned sales entities rank only a run's window.
        expected = "incremental" if name in INCREMENTAL_STAGING else "view"
        assert models[name]["config"]["materialized"] == expected, name
        source_id = f"source.shopsight.{entity.source}.{entity.name}"
        assert source_id in models[name]["depends_on"]["nodes"]


def test_layers_land_in_their_schemas(docs: dict[str, Any]) -> None:
    for name, node in _models(docs).items():
        layer = node["fqn"][1]
        assert layer in {"staging", "intermediate", "marts"}, name
        assert node["schema"] == layer, name
        assert node["original_file_path"].startswith(f"models/{layer}/"), name


def test_every_model_is_documented_from_its_grain(docs: dict[str, Any]) -> None:
    for name, node in _models(docs).items():
        assert node["description"].startswith("One row per"), name
        undocumented = [c for c, v in node["columns"].items() if not v["description"]]
        assert not undocumented, f"{name}: {undocumented}"
        assert node["patch_path"], f"{name} has no YAML beside it"


def test_spec_marts_document_their_columns(docs: dict[str, Any]) -> None:
    models = _models(docs)
    for mart, columns in SPEC_MARTS.items():
        assert mart in models, mart
        # persisted (the dashboard reads a copy), rebuilt whole or by day
        assert models[mart]["config"]["materialized"] in ("table", "incremental"), mart
        missing = set(columns) - set(models[mart]["columns"])
        assert not missing, f"{mart} does not document {sorted(missing)}"


def test_event_models_are_incremental_by_day(docs: dict[str, Any]) -> None:
    models = _models(docs)
    expected = {
        # by (day, bucket) groups: a late identity link repairs single groups of old days
        "int_content_events__resolved": ["event_date", "identity_bucket"],
        "int_sessions__converted": "session_date",
        "int_order_lines__attributed": ["order_date", "buyer_bucket"],
        "int_sessions__daily_traffic": "session_date",
        "int_content_events__daily_reach": "event_date",
        "int_content_events__creator_reach": "event_date",
        "fct_sessions": "session_date",
        "kpi_content_daily": "date",
        "kpi_content_uv_growth": ["period_type", "period_start"],
    }
    for name, key in expected.items():
        config = models[name]["config"]
        assert config["materialized"] == "incremental", name
        assert config["incremental_strategy"] == "delete+insert", name
        assert config["unique_key"] == key, name
    project = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())
    assert project["vars"]["lookback_days"] >= contract.LATE_DATA_DAYS


def test_keys_are_tested(docs: dict[str, Any]) -> None:
    """Every mart and staging model carries a uniqueness test (single column or combination)."""
    tested: set[str] = set()
    for node in docs["nodes"].values():
        if node["resource_type"] != "test":
            continue
        name = node.get("test_metadata", {}).get("name")
        if name in {"unique", "unique_combination"}:
            tested.update(n.split(".")[-1] for n in node["depends_on"]["nodes"])
    for name, node in _models(docs).items():
        if node["fqn"][1] in {"staging", "marts"}:
            assert name in tested, f"{name} has no key test"


def test_required_columns_are_one_test_per_model(docs: dict[str, Any]) -> None:
    """Required columns are declared in one `not_null_columns` test per model, named
    `not_null_<model>`, listing documented columns; no per-column `not_null` (each test node
    is fixed cost in every run: docs/performance.md)."""
    seen: dict[str, int] = {}
    nodes = docs["nodes"]
    for node in nodes.values():
        if node["resource_type"] != "test":
            continue
        name = node.get("test_metadata", {}).get("name")
        assert name != "not_null", f"{node['name']}: list it in the model's not_null_columns"
        if name != "not_null_columns":
            continue
        tested = nodes[node["attached_node"]]
        assert node["name"] == f"not_null_{tested['name']}"
        seen[tested["name"]] = seen.get(tested["name"], 0) + 1
        columns = node["test_metadata"]["kwargs"]["columns"]
        assert columns and len(set(columns)) == len(columns), node["name"]
        undocumented = set(columns) - set(tested["columns"])
        assert not undocumented, f"{node['name']}: {sorted(undocumented)} not documented"
    assert seen and max(seen.values()) == 1, seen
    assert {"fct_orders", "stg_sales__orders", "kpi_overview_daily"} <= set(seen)


def test_exposures_cover_the_dashboard_pages(docs: dict[str, Any]) -> None:
    labels = {e["label"] for e in docs["exposures"].values()}
    assert labels == DASHBOARD_PAGES
    for exposure in docs["exposures"].values():
        assert exposure["depends_on"]["nodes"], exposure["name"]


def test_festival_seed_is_described(docs: dict[str, Any]) -> None:
    seed = next(n for n in docs["nodes"].values() if n["resource_type"] == "seed")
    assert seed["name"] == "festivals" and seed["schema"] == "marts"
    assert all(c["description"] for c in seed["columns"].values())
    assert set(seed["columns"]) == {"date", "festival_code", "festival_name", "description"}
