{{
    config(
        on_schema_change='fail',
        meta={'test_window_built_at': true},
        **incremental_by_key_of('content_id', 'stg_content__content_items', stale_rows=true)
    )
}}

{#
    The products each content item links to, one row per (content_id, sku_id). The array of the
    source is exploded by a dispatched macro (DuckDB unnest, Spark explode).

    Incremental by content item, as dim_content: a run rewrites the rows of the items
    stg_content__content_items rewrote since this table's last build. An item re-delivered
    with fewer products, or none, leaves rows no new row replaces: `stale_rows` deletes them.
    A table on Spark, rebuilt whole.
#}

with

content as (

    select * from {{ ref('stg_content__content_items') }}
    {% if is_incremental() %}
        where built_at > {{ last_built_at() }}
    {% endif %}

),

exploded as (

    {{ explode_array('content', ['content_id', 'creator_id', 'delivered_on'], 'sku_ids', 'sku_id') }}

),

final as (

    select distinct
        content_id,
        creator_id,
        sku_id,
        delivered_on,
        {{ run_timestamp() }} as built_at
    from exploded
    where sku_id is not null

)

select * from final
