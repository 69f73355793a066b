-- One row per date and creator with an end-of-day follower count: followers, the change since
-- the previous day's count, people viewing the creator's content and the GMV it drove.
with stats as (
    select dt as date, creator_id, followers
    from raw.creator_stats
    qualify row_number() over (
        partition by dt, creator_id order by _dt desc, _source_file desc
    ) = 1
),

viewers as (
    select event_date as date, creator_id, count(distinct person_id) as content_uv
    from lb_work.events
    where event_type = 'view'
    group by all
),

gmv as (
    select order_date as date, creator_id, sum(line_amount) as attributed_gmv
    from lb_work.attributed_lines
    group by all
)

select
    s.date,
    s.creator_id,
    c.kind,
    s.followers,
    s.followers - prev.followers as follower_growth,
    coalesce(v.content_uv, 0) as content_uv,
    coalesce(g.attributed_gmv, 0) as attributed_gmv
from stats as s
left join stats as prev
    on prev.creator_id = s.creator_id and prev.date = s.date - interval 1 day
left join lb_work.creators as c on s.creator_id = c.creator_id
left join viewers as v on v.date = s.date and v.creator_id = s.creator_id
left join gmv as g on g.date = s.date and g.creator_id = s.creator_id
