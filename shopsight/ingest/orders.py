"""Orders and their lines stand or fall together (docs/architecture.md, quarantine policy).

Runs after the per-row verdicts of both `orders` and `order_items` are known, and refines them
set-wise with UPDATEs on the two verdict tables:

1. lines of an order quarantined in the same delivery -> `unknown_reference`;
2. lines whose order exists nowhere (loaded, or valid in this batch) -> `unknown_reference`;
3. an order with a quarantined line in its delivery -> `items_not_reconciled`;
4. an order whose lines (same delivery, else the latest delivery that has lines for it) do not
   add up to its amount, or that has no lines at all -> `items_not_reconciled`;
5. the other lines of an order that failed 3 or 4 in its delivery -> `items_not_reconciled`.
"""

from __future__ import annotations

import duckdb

from shopsight import contract
from shopsight.ingest.sqltext import in_list
from shopsight.ingest.validate import verdict

TOLERANCE = contract.MONEY_TOLERANCE


def reconcile(
    con: duckdb.DuckDBPyConnection,
    orders: str,
    items: str,
    orders_dts: list[str],
    items_dts: list[str],
) -> None:
    """Apply the order/line rules to the verdict tables `orders` and `items`.

    `orders_dts` / `items_dts` are the delivery dates being (re)loaded for each entity: rows of
    those dates already in `raw` are about to be replaced, so they do not count as loaded.
    """
    not_reloaded_orders = f"_dt not in ({in_list(orders_dts)})" if orders_dts else "true"
    not_reloaded_items = f"_dt not in ({in_list(items_dts)})" if items_dts else "true"

    # 1. The order of this delivery was quarantined (and no valid version of it is here).
    con.execute(f"""
        update {items} i set _verdict = {
        verdict(
            "unknown_reference",
            "order_id",
            "'order ' || i.order_id || ' of this delivery is quarantined (' || b.reason || ')'",
        )
    }
        from (
            select order_id__t as order_id, _dt, min(_verdict.reason) as reason
            from {orders} group by all
            having bool_and(_verdict is not null)
        ) b
        where i._verdict is null and i.order_id__t = b.order_id and i._dt = b._dt
    """)

    # 2. The order exists nowhere: neither loaded before nor valid in this batch.
    con.execute(f"""
        create or replace temp table _known_orders as
        select distinct order_id from raw.orders where {not_reloaded_orders}
        union
        select distinct order_id__t from {orders} where _verdict is null
    """)
    con.execute(f"""
        update {items} i set _verdict = {
        verdict(
            "unknown_reference",
            "order_id",
            "'order_id ''' || i.order_id || ''' is not in sales/orders'",
        )
    }
        where i._verdict is null and i.order_id__t is not null
          and not exists (select 1 from _known_orders k where k.order_id = i.order_id__t)
    """)

    # 3. A line of the order in its delivery is quarantined.
    con.execute(f"""
        update {orders} o set _verdict = {
        verdict(
            "items_not_reconciled",
            "order_id",
            "'a line of order ' || o.order_id || ' in this delivery is quarantined'",
        )
    }
        where o._verdict is null and exists (
            select 1 from {items} i
            where i._dt = o._dt and i.order_id__t = o.order_id__t and i._verdict is not null
        )
    """)

    # 4. The lines do not add up (same delivery first, else the latest delivery with lines).
    con.execute(f"""
        create or replace temp table _order_line_sums as
        select order_id, _dt as line_dt, sum(quantity * unit_price) as total, count(*) as lines
        from (
            select order_id, _dt, quantity, unit_price from raw.order_items
            where {not_reloaded_items}
            union all
            select order_id__t, _dt, quantity__t, unit_price__t from {items}
            where _verdict is null and _copy = 1
        ) group by all
    """)
    con.execute(f"""
        update {orders} o set _verdict = {
        verdict(
            "items_not_reconciled",
            "order_amount",
            "case when t.total is null then 'order ' || o.order_id || ' has no lines' "
            "else 'lines of order ' || o.order_id || ' add up to ' || t.total::varchar "
            "|| ' - discount ' || o.discount_amount__t::varchar || ' = ' "
            "|| (t.total - o.discount_amount__t)::varchar || ', but order_amount is ' "
            "|| o.order_amount__t::varchar end",
        )
    }
        from (
            select o2._file, o2._row_number,
                   coalesce(same.total, latest.total) as total
            from {orders} o2
            left join _order_line_sums same
              on same.order_id = o2.order_id__t and same.line_dt = o2._dt
            left join (
                select order_id, arg_max(total, line_dt) as total
                from _order_line_sums group by 1
            ) latest on latest.order_id = o2.order_id__t
            where o2._verdict is null
        ) t
        where o._file = t._file and o._row_number = t._row_number and o._verdict is null
          and (t.total is null
               or abs(t.total - o.discount_amount__t - o.order_amount__t) > {TOLERANCE})
    """)

    # 5. The other lines of an order that failed 3 or 4 go with it.
    con.execute(f"""
        update {items} i set _verdict = {
        verdict(
            "items_not_reconciled",
            "order_id",
            "'order ' || i.order_id || ' of this delivery does not reconcile with its lines'",
        )
    }
        where i._verdict is null and exists (
            select 1 from {orders} o
            where o._dt = i._dt and o.order_id__t = i.order_id__t
              and o._verdict.reason = 'items_not_reconciled'
        )
    """)
