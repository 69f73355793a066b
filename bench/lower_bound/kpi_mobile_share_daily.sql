-- One row per business date and brand with online counted orders; wireless = app, mobile web
-- and mini program, online = wireless + pc.
select
    o.order_date as date,
    o.brand_id,
    b.category,
    sum(o.order_amount) as online_gmv,
    coalesce(sum(o.order_amount) filter (where o.terminal_group = 'wireless'), 0) as wireless_gmv,
    coalesce(sum(o.order_amount) filter (where o.terminal_group = 'pc'), 0) as pc_gmv,
    wireless_gmv / nullif(online_gmv, 0) as mobile_gmv_share,
    count(*) as online_orders,
    count(*) filter (where o.terminal_group = 'wireless') as wireless_orders,
    wireless_orders / online_orders as mobile_order_share,
    count(distinct o.buyer_id) as online_buyers,
    count(distinct o.buyer_id) filter (where o.terminal_group = 'wireless') as wireless_buyers,
    wireless_buyers / online_buyers as mobile_buyer_share
from lb_work.orders as o
left join lb_work.brands as b on o.brand_id = b.brand_id
where o.online
group by o.order_date, o.brand_id, b.category
