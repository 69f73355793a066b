{#
    The units of each experiment: one row per experiment and visitor (visitor_id) with at least
    one session in the experiment between its start_ts and end_ts (both inclusive).
      variant    the variant of the visitor's first such session
      segment    'returning' if that first session is logged in as a buyer with a counted
                 order in the 365 days before start_ts; otherwise 'new' (anonymous included)
      converted  a counted online order names one of the visitor's in-window sessions
#}

with

experiments as (

    select * from {{ ref('stg_reference__experiments') }}

),

sessions as (

    select * from {{ ref('stg_channel__sessions') }}
    where experiment_id is not null

),

orders as (

    select * from {{ ref('int_orders__counted') }}

),

in_window as (

    select
        sessions.experiment_id,
        sessions.visitor_id,
        sessions.session_id,
        sessions.session_start_ts,
        sessions.variant,
        sessions.buyer_id,
        experiments.start_ts,
        row_number() over (
            partition by sessions.experiment_id, sessions.visitor_id
            order by sessions.session_start_ts, sessions.session_id
        ) as session_rank
    from sessions
    inner join experiments
        on sessions.experiment_id = experiments.experiment_id
    where
        sessions.session_start_ts >= experiments.start_ts
        and sessions.session_start_ts <= experiments.end_ts

),

first_sessions as (

    select * from in_window
    where session_rank = 1

),

converters as (

    select distinct
        in_window.experiment_id,
        in_window.visitor_id
    from in_window
    inner join orders
        on in_window.session_id = orders.session_id
    where orders.is_online

),

returning_visitors as (

    select distinct
        first_sessions.experiment_id,
        first_sessions.visitor_id
    from first_sessions
    inner join orders
        on first_sessions.buyer_id = orders.buyer_id
    where
        orders.order_ts < first_sessions.start_ts
        and orders.order_ts >= {{ dbt.dateadd('day', -365, 'first_sessions.start_ts') }}

),

units as (

    select
        first_sessions.experiment_id,
        first_sessions.visitor_id,
        first_sessions.variant,
        first_sessions.session_start_ts as first_session_ts,
        first_sessions.buyer_id as first_session_buyer_id,
        case
            when returning_visitors.visitor_id is not null then 'returning'
            else 'new'
        end as segment,
        converters.visitor_id is not null as is_converter
    from first_sessions
    left join returning_visitors
        on
            first_sessions.experiment_id = returning_visitors.experiment_id
            and first_sessions.visitor_id = returning_visitors.visitor_id
    left join converters
        on
            first_sessions.experiment_id = converters.experiment_id
            and first_sessions.visitor_id = converters.visitor_id

)

select * from units
