with

source as (

    select * from {{ source('content', 'content_items') }}

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
        {{ business_date('published_ts') }} as published_date

    from versions
    where version_rank = 1

)

select * from renamed
