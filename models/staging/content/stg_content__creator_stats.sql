with

source as (

    select * from {{ source('content', 'creator_stats') }}

),

versions as (

    -- One end-of-day count per creator and day; a re-sent count replaces the earlier one.
    select
        *,
        row_number() over (
            partition by dt, creator_id
            order by _dt desc, _row_number desc, _source_file desc
        ) as version_rank
    from source

),

renamed as (

    select
        -- ids
        creator_id,

        -- measures
        followers,

        -- dates
        dt as stats_date

    from versions
    where version_rank = 1

)

select * from renamed
