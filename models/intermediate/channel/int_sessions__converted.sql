{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='session_date',
        on_schema_change='fail'
    )
}}

{#
    Sessions with their person and whether they converted. The person is the session's own
    buyer_id when the visitor was logged in, else what an identity link resolves the taobao
    visitor id to, else 'taobao:visitor_id'. A session converted when a counted order names it
    as its session_id.
#}

with

sessions as (

    select * from {{ ref('stg_channel__sessions') }}
    where {{ incremental_window('session_date') }}

),

links as (

    select * from {{ ref('stg_channel__identity_links') }}
    where platform = 'taobao'

),

session_orders as (

    select
        session_id,
        count(*) as orders,
        sum(order_amount) as gmv
    from {{ ref('int_orders__counted') }}
    where session_id is not null
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
        session_orders.session_id is not null as is_converted
    from sessions
    left join links
        on sessions.visitor_id = links.platform_user_id
    left join session_orders
        on sessions.session_id = session_orders.session_id

)

select * from converted
