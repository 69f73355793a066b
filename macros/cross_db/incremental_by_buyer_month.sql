{#
    The config of int_buyers__monthly_states, one row per buyer and month from the buyer's first
    counted order to the last month with orders. A state depends on the buyer's whole order
    history, and an order can change or vanish at any age (a refund, a re-delivered folder), so
    neither days nor months are a unit to rebuild. The unit is the buyer: the model rewrites
    every month of the buyers whose orders per month differ from what it stored, and only
    extends the others by the months that began since (see the model).

    On DuckDB an incremental table, `delete+insert` on (buyer_id, month_start), and then
    `stale_buyer_months` deletes what no history holds any more. Spark's Parquet tables have no
    DELETE: there it is a table rebuilt whole. `orders_model` is the counted orders model, by
    name (the hook resolves it when it runs).
#}
{% macro incremental_by_buyer_month(orders_model) -%}
    {{ return(adapter.dispatch('incremental_by_buyer_month', 'shopsight')(orders_model)) }}
{%- endmacro %}

{% macro default__incremental_by_buyer_month(orders_model) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': ['buyer_id', 'month_start'],
        'post_hook': "{{ stale_buyer_months(ref('" ~ orders_model ~ "')) }}",
    }) }}
{%- endmacro %}

{#
    After an incremental run: delete the rows a full build would not have. A rewritten buyer's
    rows replaced their stored ones month by month, so what is left of theirs from an earlier
    build is a month their history no longer covers (their first order moved later). A buyer
    is known rewritten by the row of their first month ('new'), which this run then wrote too
    (the others only got rows for later months, never 'new'). Also gone: buyers left without a
    counted order, and months after the last one with orders.
#}
{% macro stale_buyer_months(orders_relation) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as stale
        where
            stale.built_at < {{ run_timestamp() }}
            and (
                stale.buyer_id in (
                    select rewritten.buyer_id from {{ this }} as rewritten
                    where
                        rewritten.built_at = {{ run_timestamp() }}
                        and rewritten.lifecycle_state = 'new'
                )
                or not exists (
                    select 1 from {{ orders_relation }} as orders
                    where orders.buyer_id = stale.buyer_id
                )
                or stale.month_start > (select max(orders.order_date) from {{ orders_relation }} as orders)
            )
    {%- endif -%}
{%- endmacro %}
