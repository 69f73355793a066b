{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **incremental_by_day('session_date')
    )
}}

{#
    Incremental by session_date, unlike the other staging models (views): this is one of the two
    largest sources (about 10 million rows a year at scale 1). As a view, its
    de-duplication ran over every delivery ever loaded for each data test on it and for each
    model reading it, so a one-day run cost more the longer the history. Here a run
    de-duplicates only the deliveries that can hold rows of the days it rebuilds
    (`delivered_in_window`), and the tests read a table.
#}

with

source as (

    select * from {{ source('channel', 'sessions') }}
    where {{ delivered_in_window('session_date') }}

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
where {{ incremental_window('session_date') }}
