{#
    Creators per business date: followers at the end of the day, people reached, and sales
    attributed to their content. A row exists for each date and creator with a follower
    snapshot, a view of their content, or an attributed sale.
#}

with

stats as (

    select * from {{ ref('stg_content__creator_stats') }}

),

creators as (

    select * from {{ ref('stg_reference__creators') }}

),

reach as (

    select * from {{ ref('int_content_events__creator_reach') }}

),

sales as (

    select
        date,
        creator_id,
        sum(attributed_gmv) as attributed_gmv,
        sum(attributed_orders) as attributed_orders
    from {{ ref('kpi_content_attribution') }}
    group by 1, 2

),

creator_days as (

    select
        stats_date as date,
        creator_id
    from stats
    union
    select
        event_date as date,
        creator_id
    from reach
    union
    select
        date,
        creator_id
    from sales

),

final as (

    select
        creator_days.date,
        creator_days.creator_id,
        creators.kind,
        today.followers,
        yesterday.followers as prev_followers,
        today.followers - yesterday.followers as follower_growth,
        coalesce(reach.content_uv, 0) as content_uv,
        coalesce(reach.views, 0) as views,
        coalesce(sales.attributed_orders, 0) as attributed_orders,
        coalesce(sales.attributed_gmv, 0) as attributed_gmv
    from creator_days
    left join creators
        on creator_days.creator_id = creators.creator_id
    left join stats as today
        on
            creator_days.creator_id = today.creator_id
            and creator_days.date = today.stats_date
    left join stats as yesterday
        on
            creator_days.creator_id = yesterday.creator_id
            and cast({{ dbt.dateadd('day', -1, 'creator_days.date') }} as date) = yesterday.stats_date
    left join reach
        on
            creator_days.creator_id = reach.creator_id
            and creator_days.date = reach.event_date
    left join sales
        on
            creator_days.creator_id = sales.creator_id
            and creator_days.date = sales.date

)

select * from final
