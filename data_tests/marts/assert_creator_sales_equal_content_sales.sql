-- A creator's attributed GMV of a day is the sum over their content in kpi_content_attribution.
-- Dagster shows this test as a check of kpi_creator_daily (it reads more than one model).
{{ config(meta={'dagster': {'ref': {'name': 'kpi_creator_daily'}}}) }}

with

by_content as (

    select
        date,
        creator_id,
        sum(attributed_gmv) as attributed_gmv
    from {{ ref('kpi_content_attribution') }}
    group by 1, 2

)

select
    creators.date,
    creators.creator_id,
    creators.attributed_gmv,
    by_content.attributed_gmv as content_attributed_gmv
from {{ ref('kpi_creator_daily') }} as creators
full outer join by_content
    on
        creators.date = by_content.date
        and creators.creator_id = by_content.creator_id
where abs(coalesce(creators.attributed_gmv, -1) - coalesce(by_content.attributed_gmv, 0)) > 0.005
