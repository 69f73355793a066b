with

content as (

    select * from {{ ref('stg_content__content_items') }}

),

creators as (

    select * from {{ ref('stg_reference__creators') }}

),

final as (

    select
        content.content_id,
        content.creator_id,
        creators.kind as creator_kind,
        content.brand_id,
        content.content_type,
        content.platform,
        content.published_ts,
        content.published_date
    from content
    left join creators
        on content.creator_id = creators.creator_id

)

select * from final
