"""Checks computed from a load's own bookkeeping, emitted by the raw asset that loaded it.

- `reconciliation`: per delivery, landed = loaded + quarantined + duplicates removed, where
  `landed` is counted from the staged files and `loaded` / `quarantined` from the written tables.
- `readable_deliveries`: no delivery of the run failed (truncated file, missing column, ...).
- `quarantine_rate`: quarantined rows are at most 1% of landed rows over the run's deliveries.

All three are blocking with ERROR severity: a failure stops dbt and publishing for the run.
"""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey

from shopsight.ingest.loader import EntityLoad

QUARANTINE_RATE_LIMIT = 0.01
LOAD_CHECKS = ("reconciliation", "readable_deliveries", "quarantine_rate")
DESCRIPTIONS = {
    "reconciliation": "landed = loaded + quarantined + duplicates removed, for every delivery",
    "readable_deliveries": "every delivery of the run could be read (no failed partition)",
    "quarantine_rate": f"quarantined rows are at most {QUARANTINE_RATE_LIMIT:.0%} of landed rows",
}


def specs(key: AssetKey) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(name, asset=key, blocking=True, description=DESCRIPTIONS[name])
        for name in LOAD_CHECKS
    ]


def evaluate(key: AssetKey, load: EntityLoad) -> list[tuple[AssetCheckResult, dict]]:
    """The three results for one entity's load, each with the details stored in ops."""
    out: list[tuple[AssetCheckResult, dict]] = []
    off = [d for d in load.deliveries if not d.reconciles]
    details = {
        "deliveries": len(load.deliveries),
        "landed": load.total("landed"),
        "loaded": load.total("loaded"),
        "quarantined": load.total("quarantined"),
        "duplicates": load.total("duplicates"),
        "not_reconciled": [
            f"{d.dt}: landed {d.landed} != {d.loaded} + {d.quarantined} + {d.duplicates}"
            for d in off[:20]
        ],
    }
    out.append((_result(key, "reconciliation", not off, details), details))

    failed = load.failed
    details = {"failed": [f"{d.dt}: {d.error}" for d in failed[:50]], "count": len(failed)}
    out.append((_result(key, "readable_deliveries", not failed, details), details))

    landed = load.total("landed")
    rate = load.total("quarantined") / landed if landed else 0.0
    details = {"rate": round(rate, 6), "limit": QUARANTINE_RATE_LIMIT, "landed": landed}
    out.append((_result(key, "quarantine_rate", rate <= QUARANTINE_RATE_LIMIT, details), details))
    return out


def _result(key: AssetKey, name: str, passed: bool, details: dict) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=key,
        check_name=name,
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        metadata={k: v if isinstance(v, int | float | str) else str(v) for k, v in details.items()},
        description=DESCRIPTIONS[name],
    )
