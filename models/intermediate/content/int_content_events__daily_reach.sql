{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **incremental_by_day('event_date')
    )
}}

{#
    Content reach per business date: distinct persons with a view that day, on any platform
    and content. Kept per day so that a run recounts only the days int_content_events__resolved
    rewrote since this table's last build, not every view ever made.
#}

with

views as (

    {{ rows_of_days_rebuilt_upstream(
        ref('int_content_events__resolved'), 'event_date', condition="event_type = 'view'"
    ) }}

),

daily as (

    select
        event_date,
        count(distinct person_id) as content_uv,
        {{ run_timestamp() }} as built_at
    from views
    group by 1

)

select * from daily
