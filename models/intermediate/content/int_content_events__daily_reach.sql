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

{% if is_incremental() %}
    rebuilt_days as (

        {{ days_rebuilt_upstream(ref('int_content_events__resolved'), 'event_date') }}

    ),
{% endif %}

views as (

    select * from {{ ref('int_content_events__resolved') }}
    where
        event_type = 'view'
        {% if is_incremental() %}
            and event_date in (select rebuilt_days.event_date from rebuilt_days)
        {% endif %}

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
