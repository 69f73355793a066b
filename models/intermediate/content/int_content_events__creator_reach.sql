{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **incremental_by_day('event_date')
    )
}}

{#
    Each creator's reach per business date: distinct persons who viewed the creator's content,
    and the views. Kept per day so that a run recounts only the days
    int_content_events__resolved rewrote since this table's last build.
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
        creator_id,
        count(distinct person_id) as content_uv,
        count(*) as views,
        {{ run_timestamp() }} as built_at
    from views
    group by 1, 2

)

select * from daily
