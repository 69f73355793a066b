with

source as (

    select * from {{ source('channel', 'ad_spend') }}

),

versions as (

    -- One row per day, brand and traffic source; a re-sent figure replaces the earlier one.
    select
        *,
        row_number() over (
            partition by dt, brand_id, traffic_source
            order by _dt desc, _row_number desc, _source_file desc
        ) as version_rank
    from source

),

renamed as (

    select
        -- ids
        brand_id,

        -- dimensions
        traffic_source,

        -- measures
        cast(spend_amount as decimal(18, 2)) as spend_amount,
        impressions,
        clicks,

        -- dates
        dt as spend_date

    from versions
    where version_rank = 1

)

select * from renamed
