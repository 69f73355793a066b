{{
    config(
        on_schema_change='fail',
        meta={'test_window_built_at': true},
        **incremental_by_key('content_id', 'content', 'content_items')
    )
}}

{#
    A table, incremental by key (macros/cross_db/incremental_by_key.sql); a view on Spark.
    Content accumulates for years and four models read this one on every run, so a run ranks
    again only the items delivered in its window (or whose kept row came from the window) and
    replaces their rows; ranking every delivery on every read grew with history.
#}

with

source as (

    select * from {{ source('content', 'content_items') }} as delivered
    where {{ keys_touched_in_window(['content_id'], source('content', 'content_items')) }}

),

versions as (

    -- A content item is delivered when published; should it come again, the latest
    -- delivery wins.
    select
        *,
        row_number() over (
            partition by content_id
            order by _dt desc, _row_number desc, _source_file desc
        ) as version_rank
    from source

),

renamed as (

    select
        -- ids
        content_id,
        creator_id,
        brand_id,

        -- dimensions
        content_type,
        platform,
        sku_ids,

        -- timestamps
        published_ts,
        {{ business_date('published_ts') }} as published_date,

        -- lineage
        _dt as delivered_on,
        {{ run_timestamp() }} as built_at

    from versions
    where version_rank = 1

)

select * from renamed
