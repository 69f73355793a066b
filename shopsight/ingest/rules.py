"""The contract's multi-column rules as SQL, and the lookups some of them need.

`contract.Rule.code` names a rule; this module is its one implementation. Each predicate is
true when a row *breaks* the rule. `{col}` stands for the typed value of a contract column;
names starting with `_` are lookup columns joined in beforehand (see `LOOKUPS`).
"""

from __future__ import annotations

from dataclasses import dataclass

from shopsight import contract

RULE_VIOLATIONS: dict[str, str | None] = {
    "session_required_online": "{session_id} is null and {terminal} <> 'offline_pos'",
    "store_required_for_store_fulfilment": (
        "{store_id} is null and {fulfilment} in ('store_ship', 'store_pickup', 'in_store')"
    ),
    "updated_not_before_order": "{updated_at} < {order_ts}",
    # Needs the order's lines across rows: implemented by shopsight.ingest.orders.
    "items_reconcile": None,
    "store_origin_is_store": "{origin_type} = 'store' and _origin_store is null",
    "shipped_not_before_order": "{shipped_ts} < _order_ts",
    "sku_only_for_product_click": "({event_type} = 'product_click') <> ({sku_id} is not null)",
    "dwell_only_for_view": "({event_type} = 'view') <> ({dwell_seconds} is not null)",
    "content_only_from_content_traffic": (
        "{content_id} is not null and {traffic_source} not in ('content', 'livestream')"
    ),
    "variant_with_experiment": (
        "({experiment_id} is null) <> ({variant} is null) or ({experiment_id} is not null and "
        "not coalesce(list_contains(_experiment_variants, {variant}), false))"
    ),
    "clicks_within_impressions": "{clicks} > {impressions}",
    "allocation_is_valid": (
        "not coalesce(json_valid({allocation}) and json_type({allocation}) = 'OBJECT' "
        "and list_bool_and(list_transform(json_type({allocation}, '$.*'), "
        "lambda t: t in ('UBIGINT', 'BIGINT', 'DOUBLE'))) "
        "and list_bool_and(list_transform(json_extract_string({allocation}, '$.*'), "
        "lambda w: w::double >= 0)) "
        "and abs(list_sum(list_transform(json_extract_string({allocation}, '$.*'), "
        "lambda w: w::double)) - 1) <= 1e-6 "
        "and list_contains(json_keys({allocation}), {control_variant}), false)"
    ),
    "end_after_start": "{end_ts} <= {start_ts}",
}


@dataclass(frozen=True)
class Lookup:
    """A left join adding columns that a rule of the entity reads."""

    join: str  # `left join (...) alias on alias.key = {col}`
    columns: tuple[str, ...]  # `alias.x as _name`


LOOKUPS: dict[str, tuple[Lookup, ...]] = {
    "shipments": (
        Lookup(
            "left join (select order_id, min(order_ts) as order_ts from raw.orders group by 1) "
            "lk_order on lk_order.order_id = {order_id}",
            ("lk_order.order_ts as _order_ts",),
        ),
        Lookup(
            "left join (select distinct store_id from raw.stores) lk_store "
            "on lk_store.store_id = {origin_id}",
            ("lk_store.store_id as _origin_store",),
        ),
    ),
    "sessions": (
        Lookup(
            "left join (select experiment_id, list(distinct variant) as variants from "
            "(select experiment_id, unnest(json_keys(allocation)) as variant "
            "from raw.experiments) group by 1) lk_exp on lk_exp.experiment_id = {experiment_id}",
            ("lk_exp.variants as _experiment_variants",),
        ),
    ),
}


def violation_sql(rule: contract.Rule, typed: dict[str, str]) -> str | None:
    """The rule's predicate with typed column expressions filled in (None: not row-local)."""
    template = RULE_VIOLATIONS[rule.code]
    return None if template is None else template.format(**typed)


# Entities a lookup above reads, beyond the contract's `references`: they must load first.
LOOKUP_DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "shipments": ("orders", "stores"),
    "sessions": ("experiments",),
}
