-- Summing the brand-level numerators and denominators of kpi_mobile_share_daily gives the
-- overview's wireless and online GMV of the day, hence its mobile share.
-- Dagster shows this test as a check of kpi_mobile_share_daily (it reads more than one model).
{{ config(meta={'dagster': {'ref': {'name': 'kpi_mobile_share_daily'}}}) }}

with

brands as (

    select
        date,
        sum(wireless_gmv) as wireless_gmv,
        sum(online_gmv) as online_gmv
    from {{ ref('kpi_mobile_share_daily') }}
    group by 1

)

select
    overview.date,
    overview.wireless_gmv,
    brands.wireless_gmv as brand_wireless_gmv,
    overview.online_gmv,
    brands.online_gmv as brand_online_gmv
from {{ ref('kpi_overview_daily') }} as overview
left join brands
    on overview.date = brands.date
where
    abs(overview.wireless_gmv - coalesce(brands.wireless_gmv, 0)) > 0.005
    or abs(overview.online_gmv - coalesce(brands.online_gmv, 0)) > 0.005
