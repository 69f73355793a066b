{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        meta={'test_window_built_at': true},
        **incremental_by_day('session_date')
    )
}}

{#
    Sessions with their person and whether they converted. The person is the session's own
    buyer_id when the visitor was logged in, else what an identity link resolves the taobao
    visitor id to, else 'taobao:visitor_id'. A session converted when a counted order names it
    as its session_id.

    Incremental by session_date: the look-back days, plus every day holding an anonymous
    session whose visitor a link delivered in the window resolves to a buyer (see
    int_content_events__resolved).
#}

with

links as (

    select * from {{ ref('stg_channel__identity_links') }}
    where platform = 'taobao'

),

{% if is_incremental() %}
    relinked_days as (

        select distinct built.session_date
        from {{ this }} as built
        inner join links
            on built.visitor_id = links.platform_user_id
        where
            links.delivered_on >= {{ window_start('session_date') }}
            and built.buyer_id is null
            and built.person_id != links.buyer_id

    ),
{% endif %}

sessions as (

    select * from {{ ref('stg_channel__sessions') }}
    where {{ incremental_window('session_date') }}

    {% if is_incremental() %}
        -- a union, not an `or`: each branch then reads only its own days
        union all
        select * from {{ ref('stg_channel__sessions') }}
        where
            not ({{ incremental_window('session_date') }})
            and session_date in (select relinked_days.session_date from relinked_days)
    {% endif %}

),

session_orders as (

    select
        session_id,
        count(*) as orders,
        sum(order_amount) as gmv
    from {{ ref('int_orders__counted') }}
    where
        session_id is not null
        {% if is_incremental() %}
            -- only the sessions being rebuilt: grouping every order ever made grew with history
            and session_id in (select sessions.session_id from sessions)
        {% endif %}
    group by 1

),

converted as (

    select
        sessions.session_id,
        sessions.session_date,
        sessions.session_start_ts,
        sessions.visitor_id,
        sessions.buyer_id,
        coalesce(
            sessions.buyer_id,
            links.buyer_id,
            {{ dbt.concat(["'taobao:'", 'sessions.visitor_id']) }}
        ) as person_id,
        sessions.terminal,
        sessions.terminal_group,
        sessions.traffic_source,
        sessions.landing_page,
        sessions.content_id,
        sessions.experiment_id,
        sessions.variant,
        sessions.page_views,
        coalesce(session_orders.orders, 0) as orders,
        coalesce(session_orders.gmv, 0) as gmv,
        session_orders.session_id is not null as is_converted,
        {{ run_timestamp() }} as built_at
    from sessions
    left join links
        on sessions.visitor_id = links.platform_user_id
    left join session_orders
        on sessions.session_id = session_orders.session_id

)

select * from converted
