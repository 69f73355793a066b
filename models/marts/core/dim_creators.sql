with

creators as (

    select * from {{ ref('stg_reference__creators') }}

),

content as (

    select
        creator_id,
        count(*) as content_items,
        min(published_date) as first_published_date
    from {{ ref('stg_content__content_items') }}
    group by 1

),

final as (

    select
        creators.creator_id,
        creators.creator_name,
        creators.kind,
        creators.home_platform,
        creators.brand_id,
        coalesce(content.content_items, 0) as content_items,
        content.first_published_date
    from creators
    left join content
        on creators.creator_id = content.creator_id

)

select * from final
