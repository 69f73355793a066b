"""The landing-file contract (v1) as data.

This module is Shopsight's own statement of what the marketplace's source systems deliver. The
simulator writes it, ingestion enforces it, the contract checker in the test suite audits files
against it, and `docs/landing-contract.md` explains it in prose. Keeping it as data (not as
code spread over loaders) means one edit here changes every consumer at once.

Row-level rules that need more than one column are named here by a stable `code`; the loaders
implement each code as a SQL predicate and use the code as the quarantine reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["string", "integer", "decimal", "timestamp", "date", "boolean", "string_array"]
FileFormat = Literal["csv", "jsonl", "parquet"]

BUSINESS_TIMEZONE = "Asia/Shanghai"
LATE_DATA_DAYS = 7
SUCCESS_MARKER = "_SUCCESS"
CURRENCY = "CNY"
MONEY_TOLERANCE = 0.01

# Quarantine reason codes. Every quarantined row carries exactly one of these (the first rule it
# breaks, in this order), so counts per reason are stable and comparable between runs.
REASON_CODES: dict[str, str] = {
    "missing_required": "a required field is empty",
    "bad_type": "a value cannot be read as the column's type",
    "bad_enum": "a value is not one of the column's allowed values",
    "out_of_range": "a number or date is outside the column's allowed range",
    "rule_violation": "a rule linking several columns of the row is broken",
    "future_event": "the row's event time is later than the end of its delivery date",
    "late_beyond_window": (
        f"the row's event time is more than {LATE_DATA_DAYS} days before its delivery date"
    ),
    "unknown_reference": "a key refers to a row that does not exist in the referenced entity",
    "items_not_reconciled": "order lines do not add up to the order amount",
    "conflicting_duplicate": "the same key appears twice in one delivery with different values",
}

TERMINALS = ("pc", "mobile_app", "mobile_web", "mini_program", "offline_pos")
ONLINE_TERMINALS = ("pc", "mobile_app", "mobile_web", "mini_program")
WIRELESS_TERMINALS = ("mobile_app", "mobile_web", "mini_program")
TRAFFIC_SOURCES = (
    "search",
    "ads",
    "recommendation",
    "content",
    "livestream",
    "external_social",
    "direct",
    "offline",
)
ONLINE_TRAFFIC_SOURCES = tuple(s for s in TRAFFIC_SOURCES if s != "offline")
FULFILMENTS = ("warehouse_ship", "store_ship", "store_pickup", "in_store")
ORDER_STATUSES = ("paid", "cancelled", "refunded")
ORIGIN_TYPES = ("warehouse", "store")
CONTENT_TYPES = ("short_video", "article", "livestream", "headline_post")
CONTENT_PLATFORMS = ("taobao_headline", "weitao", "youku", "weibo")
PERSON_PLATFORMS = ("taobao", "weibo", "youku", "uc")
EVENT_TYPES = ("view", "like", "share", "follow", "product_click")
LANDING_PAGES = ("home", "venue", "search", "content", "product", "store")
CATEGORIES = ("apparel", "beauty", "electronics", "food", "home", "mother_baby")
CITY_TIERS = ("1", "2", "3", "4", "rural")
CREATOR_KINDS = ("net_red", "brand_account", "media")


@dataclass(frozen=True)
class Column:
    """One column of a landing entity."""

    name: str
    type: ColumnType
    required: bool = False
    enum: tuple[str, ...] | None = None
    min_value: float | None = None
    references: tuple[str, str] | None = None  # (entity, column) that must contain the value
    description: str = ""


@dataclass(frozen=True)
class Rule:
    """A rule over several columns of one row (or of one row and its parent order).

    `code` is stable: loaders implement it and quarantine rows breaking it with reason
    `rule_violation` (or the reason named here) and the rule's code in the message.
    """

    code: str
    description: str
    columns: tuple[str, ...]
    reason: str = "rule_violation"


@dataclass(frozen=True)
class Entity:
    """One landing entity: where its files live, their format and their columns."""

    source: str
    name: str
    format: FileFormat
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    versioned_by: str | None = None
    snapshot: bool = False
    event_time: str | None = None  # the column checked against the delivery date window
    rules: tuple[Rule, ...] = field(default_factory=tuple)
    description: str = ""

    @property
    def key(self) -> str:
        """`source/entity`, the entity's path under the landing root."""
        return f"{self.source}/{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def version_key(self) -> tuple[str, ...]:
        """The columns that name one version of a row: unique within a delivery."""
        if self.versioned_by and self.versioned_by not in self.primary_key:
            return (*self.primary_key, self.versioned_by)
        return self.primary_key

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.key} has no column {name!r}")


def _c(name: str, type_: ColumnType, required: bool = False, **kw: object) -> Column:
    return Column(name, type_, required, **kw)  # type: ignore[arg-type]


ORDERS = Entity(
    source="sales",
    name="orders",
    format="csv",
    primary_key=("order_id",),
    versioned_by="updated_at",
    event_time="updated_at",
    description=(
        "Marketplace and store orders; a later version (newer updated_at) replaces an earlier one."
    ),
    columns=(
        _c("order_id", "string", True),
        _c("buyer_id", "string", True, description="the unified buyer id"),
        _c("brand_id", "string", True, references=("brands", "brand_id")),
        _c("order_ts", "timestamp", True, description="when the order was paid or attempted"),
        _c("terminal", "string", True, enum=TERMINALS),
        _c("traffic_source", "string", True, enum=TRAFFIC_SOURCES),
        _c("session_id", "string"),
        _c("store_id", "string"),
        _c("fulfilment", "string", True, enum=FULFILMENTS),
        _c("status", "string", True, enum=ORDER_STATUSES),
        _c("order_amount", "decimal", True, min_value=0),
        _c("discount_amount", "decimal", True, min_value=0),
        _c("currency", "string", True, enum=(CURRENCY,)),
        _c("updated_at", "timestamp", True),
    ),
    rules=(
        Rule(
            "session_required_online",
            "session_id is empty only when terminal is offline_pos",
            ("session_id", "terminal"),
        ),
        Rule(
            "store_required_for_store_fulfilment",
            "store_id is required when fulfilment is store_ship, store_pickup or in_store",
            ("store_id", "fulfilment"),
        ),
        Rule("updated_not_before_order", "updated_at >= order_ts", ("updated_at", "order_ts")),
    ),
)

ORDER_ITEMS = Entity(
    source="sales",
    name="order_items",
    format="csv",
    primary_key=("order_id", "line_no"),
    description="Order lines. Delivered with their order, in the same dt.",
    columns=(
        _c("order_id", "string", True, references=("orders", "order_id")),
        _c("line_no", "integer", True, min_value=1),
        _c("sku_id", "string", True, references=("skus", "sku_id")),
        _c("quantity", "integer", True, min_value=1),
        _c("unit_price", "decimal", True, min_value=0),
    ),
    rules=(
        Rule(
            "items_reconcile",
            "sum(quantity * unit_price) - discount_amount = order_amount within 0.01",
            ("quantity", "unit_price"),
            reason="items_not_reconciled",
        ),
    ),
)

SHIPMENTS = Entity(
    source="sales",
    name="shipments",
    format="csv",
    primary_key=("order_id",),
    versioned_by="updated_at",
    event_time="updated_at",
    description="One shipment per shipped order; updated when delivered.",
    columns=(
        _c("order_id", "string", True, references=("orders", "order_id")),
        _c("origin_type", "string", True, enum=ORIGIN_TYPES),
        _c("origin_id", "string", True),
        _c("shipped_ts", "timestamp", True),
        _c("promised_delivery_ts", "timestamp", True),
        _c("delivered_ts", "timestamp"),
        _c("updated_at", "timestamp", True),
    ),
    rules=(
        Rule(
            "store_origin_is_store",
            "origin_id is a known store_id when origin_type is store",
            ("origin_type", "origin_id"),
            reason="unknown_reference",
        ),
        Rule("shipped_not_before_order", "shipped_ts >= the order's order_ts", ("shipped_ts",)),
    ),
)

CONTENT_ITEMS = Entity(
    source="content",
    name="content_items",
    format="jsonl",
    primary_key=("content_id",),
    event_time="published_ts",
    description="Videos, articles, livestreams and headline posts, delivered when published.",
    columns=(
        _c("content_id", "string", True),
        _c("creator_id", "string", True, references=("creators", "creator_id")),
        _c("brand_id", "string", description="null for brand-neutral content"),
        _c("content_type", "string", True, enum=CONTENT_TYPES),
        _c("platform", "string", True, enum=CONTENT_PLATFORMS),
        _c("published_ts", "timestamp", True),
        _c("sku_ids", "string_array", description="linked products; may be empty"),
    ),
)

CONTENT_EVENTS = Entity(
    source="content",
    name="content_events",
    format="jsonl",
    primary_key=("event_id",),
    event_time="event_ts",
    description="Views, likes, shares, follows and product clicks; an event may arrive twice.",
    columns=(
        _c("event_id", "string", True),
        _c("event_ts", "timestamp", True),
        _c("platform", "string", True, enum=PERSON_PLATFORMS, description="where the person was"),
        _c("platform_user_id", "string", True),
        _c("content_id", "string", True, references=("content_items", "content_id")),
        _c("event_type", "string", True, enum=EVENT_TYPES),
        _c("sku_id", "string"),
        _c("dwell_seconds", "integer", min_value=0),
    ),
    rules=(
        Rule(
            "sku_only_for_product_click",
            "sku_id is set for product_click and empty otherwise",
            ("sku_id", "event_type"),
        ),
        Rule(
            "dwell_only_for_view",
            "dwell_seconds is set (>= 0) for view and empty otherwise",
            ("dwell_seconds", "event_type"),
        ),
    ),
)

CREATOR_STATS = Entity(
    source="content",
    name="creator_stats",
    format="jsonl",
    primary_key=("dt", "creator_id"),
    event_time="dt",
    description="End-of-day follower counts per creator.",
    columns=(
        _c("dt", "date", True),
        _c("creator_id", "string", True, references=("creators", "creator_id")),
        _c("followers", "integer", True, min_value=0),
    ),
)

SESSIONS = Entity(
    source="channel",
    name="sessions",
    format="parquet",
    primary_key=("session_id",),
    event_time="session_start_ts",
    description="Visits to the marketplace (app, web, mini program, PC).",
    columns=(
        _c("session_id", "string", True),
        _c("visitor_id", "string", True, description="a taobao platform user id"),
        _c("buyer_id", "string", description="null when not logged in"),
        _c("session_start_ts", "timestamp", True),
        _c("terminal", "string", True, enum=ONLINE_TERMINALS),
        _c("traffic_source", "string", True, enum=ONLINE_TRAFFIC_SOURCES),
        _c("landing_page", "string", True, enum=LANDING_PAGES),
        _c("content_id", "string"),
        _c("experiment_id", "string"),
        _c("variant", "string"),
        _c("page_views", "integer", True, min_value=1),
    ),
    rules=(
        Rule(
            "content_only_from_content_traffic",
            "content_id is set only when traffic_source is content or livestream",
            ("content_id", "traffic_source"),
        ),
        Rule(
            "variant_with_experiment",
            "variant is set exactly when experiment_id is set, and is a variant of it",
            ("experiment_id", "variant"),
        ),
    ),
)

AD_SPEND = Entity(
    source="channel",
    name="ad_spend",
    format="parquet",
    primary_key=("dt", "brand_id", "traffic_source"),
    event_time="dt",
    description="Daily paid-traffic spend per brand and traffic source.",
    columns=(
        _c("dt", "date", True),
        _c("brand_id", "string", True, references=("brands", "brand_id")),
        _c("traffic_source", "string", True, enum=ONLINE_TRAFFIC_SOURCES),
        _c("spend_amount", "decimal", True, min_value=0),
        _c("impressions", "integer", True, min_value=0),
        _c("clicks", "integer", True, min_value=0),
    ),
    rules=(Rule("clicks_within_impressions", "clicks <= impressions", ("clicks", "impressions")),),
)

IDENTITY_LINKS = Entity(
    source="channel",
    name="identity_links",
    format="parquet",
    primary_key=("platform", "platform_user_id"),
    event_time="linked_at",
    description="Links from a platform user id (taobao, weibo, youku, uc) to the unified buyer id.",
    columns=(
        _c("platform", "string", True, enum=PERSON_PLATFORMS),
        _c("platform_user_id", "string", True),
        _c("buyer_id", "string", True),
        _c("linked_at", "timestamp", True),
    ),
)

BRANDS = Entity(
    source="reference",
    name="brands",
    format="csv",
    primary_key=("brand_id",),
    snapshot=True,
    columns=(
        _c("brand_id", "string", True),
        _c("brand_name", "string", True),
        _c("category", "string", True, enum=CATEGORIES),
        _c("is_flagship", "boolean", True),
    ),
)

SKUS = Entity(
    source="reference",
    name="skus",
    format="csv",
    primary_key=("sku_id",),
    snapshot=True,
    columns=(
        _c("sku_id", "string", True),
        _c("brand_id", "string", True, references=("brands", "brand_id")),
        _c("category", "string", True, enum=CATEGORIES),
        _c("list_price", "decimal", True, min_value=0),
    ),
)

STORES = Entity(
    source="reference",
    name="stores",
    format="csv",
    primary_key=("store_id",),
    snapshot=True,
    columns=(
        _c("store_id", "string", True),
        _c("store_name", "string", True),
        _c("brand_id", "string", description="null for a department store"),
        _c("city", "string", True),
        _c("city_tier", "string", True, enum=CITY_TIERS),
        _c("opened_on", "date", True),
    ),
)

BUYERS = Entity(
    source="reference",
    name="buyers",
    format="csv",
    primary_key=("buyer_id",),
    snapshot=True,
    columns=(
        _c("buyer_id", "string", True),
        _c("registered_at", "timestamp", True),
        _c("city", "string", True),
        _c("city_tier", "string", True, enum=CITY_TIERS),
    ),
)

CREATORS = Entity(
    source="reference",
    name="creators",
    format="csv",
    primary_key=("creator_id",),
    snapshot=True,
    columns=(
        _c("creator_id", "string", True),
        _c("creator_name", "string", True),
        _c("home_platform", "string", True, enum=CONTENT_PLATFORMS),
        _c("kind", "string", True, enum=CREATOR_KINDS),
        _c("brand_id", "string", description="null unless a brand account"),
    ),
)

EXPERIMENTS = Entity(
    source="reference",
    name="experiments",
    format="csv",
    primary_key=("experiment_id",),
    snapshot=True,
    columns=(
        _c("experiment_id", "string", True),
        _c("experiment_name", "string", True),
        _c("start_ts", "timestamp", True),
        _c("end_ts", "timestamp", True),
        _c("control_variant", "string", True),
        _c(
            "allocation",
            "string",
            True,
            description="JSON object variant -> weight; weights sum to 1",
        ),
    ),
    rules=(
        Rule(
            "allocation_is_valid",
            "allocation is a JSON object of weights summing to 1 that includes control_variant",
            ("allocation", "control_variant"),
        ),
        Rule("end_after_start", "end_ts > start_ts", ("start_ts", "end_ts")),
    ),
)

ENTITIES: tuple[Entity, ...] = (
    ORDERS,
    ORDER_ITEMS,
    SHIPMENTS,
    CONTENT_ITEMS,
    CONTENT_EVENTS,
    CREATOR_STATS,
    SESSIONS,
    AD_SPEND,
    IDENTITY_LINKS,
    BRANDS,
    SKUS,
    STORES,
    BUYERS,
    CREATORS,
    EXPERIMENTS,
)
ENTITIES_BY_NAME: dict[str, Entity] = {e.name: e for e in ENTITIES}
SOURCES: tuple[str, ...] = ("sales", "content", "channel", "reference")

# Lineage columns that ingestion adds to every raw table (after the contract's columns).
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "VARCHAR"),  # path relative to the landing root
    ("_row_number", "BIGINT"),  # 1-based data row (CSV: after the header; JSONL: line number)
    ("_dt", "DATE"),  # the delivery date (the dt= folder)
    ("_loaded_at", "TIMESTAMPTZ"),  # when this delivery was loaded
)

DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18,2)",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
    "boolean": "BOOLEAN",
    "string_array": "VARCHAR[]",
}


def entity(name: str) -> Entity:
    """Look an entity up by its name (`orders`), or by `source/name`."""
    short = name.split("/")[-1]
    try:
        return ENTITIES_BY_NAME[short]
    except KeyError:
        raise KeyError(f"unknown landing entity {name!r}") from None


def raw_table_ddl(e: Entity, schema: str = "raw") -> str:
    """`CREATE TABLE IF NOT EXISTS` for the typed raw table of an entity (DuckDB types)."""
    cols = [f"{c.name} {DUCKDB_TYPES[c.type]}" for c in e.columns]
    cols += [f"{name} {type_}" for name, type_ in LINEAGE_COLUMNS]
    return f"create table if not exists {schema}.{e.name} (\n  " + ",\n  ".join(cols) + "\n)"
