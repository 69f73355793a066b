{#
    The calendar with festivals. Daily marts join here on `date` for weeks, months, ISO weeks and
    the festival of the day.
#}

with

calendar as (

    select * from {{ ref('int_calendar__days') }}

),

festivals as (

    select * from {{ ref('festivals') }}

),

final as (

    select
        calendar.date_day as date,
        calendar.week_start,
        calendar.month_start,
        calendar.year_start,
        calendar.calendar_year,
        calendar.calendar_month,
        calendar.iso_year,
        calendar.iso_week,
        calendar.iso_day_of_week,
        calendar.iso_day_of_week >= 6 as is_weekend,
        festivals.festival_code,
        festivals.festival_name,
        festivals.festival_code is not null as is_festival
    from calendar
    left join festivals
        on calendar.date_day = festivals.date

)

select * from final
