-- One row per month with counted orders: buyers who ordered only online, only offline, or in
-- both that month, and GMV per buyer of each group.
with buyer_months as (
    select
        date_trunc('month', order_date) as month,
        buyer_id,
        bool_or(online) as any_online,
        bool_or(not online) as any_offline,
        sum(order_amount) as gmv
    from lb_work.orders
    group by all
)

select
    cast(month as date) as month,
    count(*) filter (where any_online and not any_offline) as online_only_buyers,
    count(*) filter (where any_offline and not any_online) as offline_only_buyers,
    count(*) filter (where any_online and any_offline) as omnichannel_buyers,
    count(*) as buyers,
    omnichannel_buyers / buyers as omnichannel_share,
    sum(gmv) filter (where any_online and not any_offline) / nullif(online_only_buyers, 0)
        as online_only_gmv_per_buyer,
    sum(gmv) filter (where any_offline and not any_online) / nullif(offline_only_buyers, 0)
        as offline_only_gmv_per_buyer,
    sum(gmv) filter (where any_online and any_offline) / nullif(omnichannel_buyers, 0)
        as omnichannel_gmv_per_buyer
from buyer_months
group by month
