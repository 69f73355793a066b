{#
    The config of a staging model that keeps one row per key out of versions delivered over
    time (an order refunded a year later, a shipment delivered days after it shipped): on DuckDB
    an incremental table whose run replaces the rows of the keys it re-ranked (`delete+insert`
    on `unique_key`), and then removes the keys a re-delivery withdrew (`withdrawn_keys`).
    Use: `config(on_schema_change='fail', **incremental_by_key('order_id', 'sales', 'orders'))`
    (the source as names: a hook resolves it when it runs, a relation would be resolved at parse
    time to a placeholder).

    Spark's Parquet tables have neither DELETE nor MERGE, and a key's versions are not confined
    to a partition, so on Spark the model stays a view that ranks every version on each read.
#}
{% macro incremental_by_key(unique_key, source_name, table_name) -%}
    {{ return(adapter.dispatch('incremental_by_key', 'shopsight')(
        unique_key, source_name, table_name)) }}
{%- endmacro %}

{% macro default__incremental_by_key(unique_key, source_name, table_name) -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
        'post_hook': "{{ withdrawn_keys(" ~ keys | tojson ~ ", source('" ~ source_name ~ "', '"
            ~ table_name ~ "')) }}",
    }) }}
{%- endmacro %}

{#
    After an incremental run of a keyed staging table: delete the kept rows that no delivered
    version supports any more. Only a re-delivered folder that no longer holds a key can do
    that, and such a folder is inside the run's window, so only rows kept from a delivery in
    the window (`delivered_on`) are looked at. Nothing on a full build.
#}
{% macro withdrawn_keys(keys, source_relation) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as kept
        where
            kept.delivered_on >= {{ window_start('delivered_on') }}
            and not exists (
                select 1 from {{ source_relation }} as delivered
                where
                    {% for key in keys -%}
                        delivered.{{ key }} = kept.{{ key }}{% if not loop.last %} and {% endif %}
                    {%- endfor %}
            )
    {%- endif -%}
{%- endmacro %}

{#
    The condition, on `source_relation` read under the alias `delivered`, that keeps every
    version of the keys an incremental run must rank again: those with a version delivered in
    the window, and those whose kept row came from a delivery in the window (a re-delivered
    folder may have withdrawn that version, and an older one is then the key's state again).
    Every row on a full build. A key's versions may span any number of deliveries, so all of
    them are ranked, not only the window's.
#}
{% macro keys_touched_in_window(keys, source_relation) -%}
    {%- if is_incremental() -%}
        {%- set key_list = keys | join(', ') -%}
        exists (
            select 1
            from (
                select {{ key_list }} from {{ source_relation }}
                where {{ delivered_in_window('delivered_on') }}
                union
                select {{ key_list }} from {{ this }}
                where delivered_on >= {{ window_start('delivered_on') }}
            ) as touched
            where
                {% for key in keys -%}
                    touched.{{ key }} = delivered.{{ key }}{% if not loop.last %} and {% endif %}
                {%- endfor %}
        )
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#
    The config of a model with rows per key of a keyed staging model (fct_orders: one row per
    order of stg_sales__orders, with its shipment). On DuckDB an incremental table: the
    model selects the keys its keyed upstream models rewrote since its last build (their
    `built_at`), `delete+insert` replaces those keys' rows, and `withdrawn_keys` then removes
    the keys `keyed_model` no longer holds, exactly as that model removed them. Rebuilding the
    whole table each run rewrote every order ever placed to change a week of them. On Spark,
    where the keyed staging models are views, a table rebuilt whole.

    `stale_rows=true`, for a model with several rows per key (bridge_content_skus: one per
    product an item links to): a rewritten key may now give fewer rows, or none, and
    `delete+insert` replaces only the keys that give some; `rows_older_than_their_key` then
    deletes what is left of the others.
#}
{% macro incremental_by_key_of(unique_key, keyed_model, stale_rows=false) -%}
    {{ return(adapter.dispatch('incremental_by_key_of', 'shopsight')(
        unique_key, keyed_model, stale_rows)) }}
{%- endmacro %}

{% macro default__incremental_by_key_of(unique_key, keyed_model, stale_rows) -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set hooks = [
        "{{ withdrawn_keys(" ~ keys | tojson ~ ", ref('" ~ keyed_model ~ "')) }}"
    ] -%}
    {%- if stale_rows -%}
        {%- do hooks.append(
            "{{ rows_older_than_their_key(" ~ keys | tojson ~ ", ref('" ~ keyed_model ~ "')) }}"
        ) -%}
    {%- endif -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
        'post_hook': hooks,
    }) }}
{%- endmacro %}

{#
    After an incremental run of a model with several rows per key of `keyed_model`: delete the
    rows written before their key's current version was (`built_at` older than the keyed
    model's row). A row still valid was written again by the run that rewrote its key, or by a
    later one, so it is never older than its key. Nothing on a full build.
#}
{% macro rows_older_than_their_key(keys, keyed_relation) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as kept
        where exists (
            select 1 from {{ keyed_relation }} as current_version
            where
                {% for key in keys -%}
                    current_version.{{ key }} = kept.{{ key }} and
                {% endfor -%}
                current_version.built_at > kept.built_at
        )
    {%- endif -%}
{%- endmacro %}
