{#
    The products each content item links to, one row per (content_id, sku_id). The array of the
    source is exploded by a dispatched macro (DuckDB unnest, Spark explode).
#}

with

content as (

    select * from {{ ref('stg_content__content_items') }}

),

exploded as (

    {{ explode_array('content', ['content_id', 'creator_id'], 'sku_ids', 'sku_id') }}

),

final as (

    select distinct
        content_id,
        creator_id,
        sku_id
    from exploded
    where sku_id is not null

)

select * from final
