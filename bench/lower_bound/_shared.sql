-- The lower bound's shared work, run once before the per-mart scripts: what several marts need
-- (latest versions, counted orders, the people behind events and sessions) materialised once
-- into schema lb_work, as a careful hand-written script would. Reads only the raw tables.
-- Business dates are the Asia/Shanghai wall-clock dates of the stored UTC instants.

create schema if not exists lb_work;

-- Counted orders: the latest version of each order (newest updated_at, then the later
-- delivery) whose status is paid or refunded.
create or replace table lb_work.orders as
with latest as (
    select *
    from raw.orders
    qualify row_number() over (
        partition by order_id order by updated_at desc, _dt desc, _source_file desc
    ) = 1
)
select
    order_id,
    buyer_id,
    brand_id,
    session_id,
    store_id,
    case
        when terminal in ('mobile_app', 'mobile_web', 'mini_program') then 'wireless'
        when terminal = 'pc' then 'pc'
        else 'offline'
    end as terminal_group,
    terminal <> 'offline_pos' as online,
    fulfilment,
    status = 'refunded' as refunded,
    order_amount,
    order_ts,
    cast(timezone('Asia/Shanghai', order_ts) as date) as order_date
from latest
where status in ('paid', 'refunded');

-- Lines of counted orders (the latest delivery of each line).
create or replace table lb_work.lines as
with latest as (
    select *
    from raw.order_items
    qualify row_number() over (
        partition by order_id, line_no order by _dt desc, _source_file desc
    ) = 1
)
select
    o.order_id,
    l.line_no,
    l.sku_id,
    o.buyer_id,
    o.order_ts,
    o.order_date,
    l.quantity * l.unit_price as line_amount
from latest as l
inner join lb_work.orders as o on l.order_id = o.order_id;

-- One link per platform user id; a re-delivered link: newest linked_at, then later delivery.
create or replace table lb_work.links as
select platform, platform_user_id, buyer_id
from raw.identity_links
qualify row_number() over (
    partition by platform, platform_user_id
    order by linked_at desc, _dt desc, _source_file desc
) = 1;

-- Content items, latest delivery of each.
create or replace table lb_work.content as
select content_id, creator_id, content_type, platform
from raw.content_items
qualify row_number() over (partition by content_id order by _dt desc, _source_file desc) = 1;

-- Content events, each once (its first delivery), with the person behind it.
create or replace table lb_work.events as
with once as (
    select *
    from raw.content_events
    qualify row_number() over (partition by event_id order by _dt, _source_file) = 1
)
select
    e.event_id,
    e.event_type,
    e.event_ts,
    cast(timezone('Asia/Shanghai', e.event_ts) as date) as event_date,
    e.platform,
    coalesce(k.buyer_id, e.platform || ':' || e.platform_user_id) as person_id,
    e.content_id,
    c.creator_id,
    c.content_type,
    c.platform as content_platform,
    e.sku_id,
    e.dwell_seconds
from once as e
left join lb_work.links as k
    on e.platform = k.platform and e.platform_user_id = k.platform_user_id
left join lb_work.content as c on e.content_id = c.content_id;

-- Sessions (latest delivery of each), with their business date.
create or replace table lb_work.sessions as
select
    session_id,
    visitor_id,
    buyer_id,
    experiment_id,
    variant,
    session_start_ts,
    cast(timezone('Asia/Shanghai', session_start_ts) as date) as session_date
from raw.sessions
qualify row_number() over (partition by session_id order by _dt desc, _source_file desc) = 1;

-- Reference snapshots: only the newest delivery date counts.
create or replace table lb_work.creators as
select creator_id, kind
from raw.creators
where _dt = (select max(_dt) from raw.creators)
qualify row_number() over (partition by creator_id order by _source_file desc) = 1;

create or replace table lb_work.brands as
select brand_id, category
from raw.brands
where _dt = (select max(_dt) from raw.brands)
qualify row_number() over (partition by brand_id order by _source_file desc) = 1;

create or replace table lb_work.experiments as
select experiment_id, start_ts, end_ts, control_variant, allocation
from raw.experiments
where _dt = (select max(_dt) from raw.experiments)
qualify row_number() over (partition by experiment_id order by _source_file desc) = 1;

-- Attribution, 7-day last touch: each line of a counted order goes to the latest product
-- click on its sku by a person resolving to its buyer within [order_ts - 7 days, order_ts];
-- ties at the same instant go to the larger event_id.
create or replace table lb_work.attributed_lines as
select
    l.order_id,
    l.line_no,
    l.order_date,
    l.buyer_id,
    l.line_amount,
    e.content_id,
    e.creator_id,
    e.content_platform
from lb_work.lines as l
inner join lb_work.events as e
    on
        e.event_type = 'product_click'
        and e.person_id = l.buyer_id
        and e.sku_id = l.sku_id
        and e.event_ts <= l.order_ts
        and e.event_ts >= l.order_ts - interval 7 day
qualify row_number() over (
    partition by l.order_id, l.line_no order by e.event_ts desc, e.event_id desc
) = 1;

-- Statistics helpers for the experiment mart.
-- erfc by the Chebyshev fit in Numerical Recipes (fractional error below 1.2e-7 everywhere).
create or replace macro lb_erfc_tail(z, t) as
    t * exp(
        -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
            -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
                -0.82215223 + t * 0.17087277))))))))
    );

create or replace macro lb_erfc(x) as
    case
        when x >= 0 then lb_erfc_tail(x, 1.0 / (1.0 + 0.5 * x))
        else 2.0 - lb_erfc_tail(-x, 1.0 / (1.0 - 0.5 * x))
    end;

-- P(X >= x) for a chi-square variable with k degrees of freedom, by the closed forms for
-- integer k: even k = 2m: exp(-x/2) sum_{i<m} (x/2)^i / i!; odd k = 2m + 1:
-- erfc(sqrt(x/2)) + sqrt(2x/pi) exp(-x/2) sum_{i<m} x^i / (1 * 3 * ... * (2i + 1)).
create or replace macro lb_chi2_sf(x, k) as (
    case
        when k % 2 = 0 then exp(-x / 2.0) * coalesce(list_sum(list_transform(
            range(k // 2), lambda i: pow(x / 2.0, i) / cast(factorial(cast(i as integer)) as double)
        )), 0.0)
        else lb_erfc(sqrt(x / 2.0)) + sqrt(2.0 * x / pi()) * exp(-x / 2.0) * coalesce(
            list_sum(list_transform(
                range(k // 2),
                lambda i: pow(x, i) / list_product(list_transform(range(i + 1), lambda j: 2 * j + 1))
            )), 0.0)
    end
);
