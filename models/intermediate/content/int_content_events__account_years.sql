{{
    config(
        on_schema_change='fail',
        meta={'test_window_built_at': true},
        **incremental_by_account_year()
    )
}}

{#
    The platform accounts with a view or product click in each calendar year, and the first day
    of each. kpi_content_uv_growth counts a year's distinct persons from these rows (resolving
    each account through today's identity links) instead of from the year's events: an account
    is seen on a few days a year, so a year holds about a third as many rows here, and the rows
    never change when a late link re-identifies someone, so a relinked year is recounted
    without reading its events.

    Incremental by (year_start, platform, platform_user_id). Only the run's window can change
    which accounts were active on which days (days before it are final, as for every
    incremental model), so a run reads the window's events and the stored rows of the accounts
    they name or with a first view or click in the window: a first day before the window
    stands, one inside it is taken again from the window's events. A row left with no first day
    at all (a re-delivery withdrew the account's only events) is deleted after the insert.
#}

with

calendar as (

    select * from {{ ref('int_calendar__days') }}

),

events as (

    select
        events.platform,
        events.platform_user_id,
        events.event_type,
        events.event_date,
        calendar.year_start
    from {{ ref('stg_content__content_events') }} as events
    inner join calendar
        on events.event_date = calendar.date_day
    where
        events.event_type in ('view', 'product_click')
        and {{ incremental_window('events.event_date', 'first_seen_on') }}

),

in_window as (

    select
        year_start,
        platform,
        platform_user_id,
        min(case when event_type = 'view' then event_date end) as first_view_on,
        min(case when event_type = 'product_click' then event_date end) as first_click_on
    from events
    group by 1, 2, 3

),

{% if is_incremental() %}
    window_bounds as (

        select {{ window_start('first_seen_on') }} as first_day

    ),

    kept as (

        -- the stored rows this run may change: in a year the window reaches, of an account
        -- the window names or with a first view or click in the window
        select built.*
        from {{ this }} as built
        cross join window_bounds
        where
            built.year_start >= (
                select calendar.year_start from calendar
                where calendar.date_day = window_bounds.first_day
            )
            and (
                built.first_view_on >= window_bounds.first_day
                or built.first_click_on >= window_bounds.first_day
                or exists (
                    select 1 from in_window
                    where
                        in_window.year_start = built.year_start
                        and in_window.platform = built.platform
                        and in_window.platform_user_id = built.platform_user_id
                )
            )

    ),

    merged as (

        select
            coalesce(kept.year_start, in_window.year_start) as year_start,
            coalesce(kept.platform, in_window.platform) as platform,
            coalesce(kept.platform_user_id, in_window.platform_user_id) as platform_user_id,
            case
                when kept.first_view_on < window_bounds.first_day then kept.first_view_on
                else in_window.first_view_on
            end as first_view_on,
            case
                when kept.first_click_on < window_bounds.first_day then kept.first_click_on
                else in_window.first_click_on
            end as first_click_on
        from kept
        full outer join in_window
            on
                kept.year_start = in_window.year_start
                and kept.platform = in_window.platform
                and kept.platform_user_id = in_window.platform_user_id
        cross join window_bounds

    ),
{% else %}
    merged as (

        select * from in_window

    ),
{% endif %}

final as (

    select
        year_start,
        platform,
        platform_user_id,
        first_view_on,
        first_click_on,
        least(
            coalesce(first_view_on, first_click_on), coalesce(first_click_on, first_view_on)
        ) as first_seen_on,
        {{ run_timestamp() }} as built_at
    from merged

)

select * from final
