with

source as (

    select * from {{ source('channel', 'sessions') }}

),

versions as (

    -- A session is final when delivered; a re-sent copy replaces the earlier one.
    select
        *,
        row_number() over (
            partition by session_id
            order by _dt desc, _row_number desc, _source_file desc
        ) as version_rank
    from source

),

renamed as (

    select
        -- ids
        session_id,
        visitor_id,
        buyer_id,
        content_id,
        experiment_id,

        -- dimensions
        terminal,
        {{ terminal_group('terminal') }} as terminal_group,
        traffic_source,
        landing_page,
        variant,

        -- measures
        page_views,

        -- timestamps
        session_start_ts,
        {{ business_date('session_start_ts') }} as session_date

    from versions
    where version_rank = 1

)

select * from renamed
