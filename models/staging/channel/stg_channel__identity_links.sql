with

source as (

    select * from {{ source('channel', 'identity_links') }}

),

versions as (

    -- One link per platform user id. Should a link be re-delivered, the newest linked_at
    -- wins, then the later delivery.
    select
        *,
        row_number() over (
            partition by platform, platform_user_id
            order by linked_at desc, _dt desc, _row_number desc, _source_file desc
        ) as version_rank
    from source

),

renamed as (

    select
        -- ids
        platform,
        platform_user_id,
        buyer_id,

        -- timestamps
        linked_at,

        -- lineage
        _dt as delivered_on

    from versions
    where version_rank = 1

)

select * from renamed
