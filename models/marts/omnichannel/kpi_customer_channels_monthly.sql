{#
    Buyers per calendar month by the channels they bought through: online only, offline (store
    till) only, or both. A buyer's GMV is all their counted orders of the month.
#}

with

active as (

    select
        *,
        case
            when online_orders > 0 and offline_orders > 0 then 'omnichannel'
            when online_orders > 0 then 'online_only'
            else 'offline_only'
        end as channel_group
    from {{ ref('int_buyers__monthly_states') }}
    where orders > 0

),

monthly as (

    select
        month_start,
        count(*) as buyers,
        sum(case when channel_group = 'online_only' then 1 else 0 end) as online_only_buyers,
        sum(case when channel_group = 'offline_only' then 1 else 0 end) as offline_only_buyers,
        sum(case when channel_group = 'omnichannel' then 1 else 0 end) as omnichannel_buyers,
        sum(gmv) as gmv,
        sum(case when channel_group = 'online_only' then gmv else 0 end) as online_only_gmv,
        sum(case when channel_group = 'offline_only' then gmv else 0 end) as offline_only_gmv,
        sum(case when channel_group = 'omnichannel' then gmv else 0 end) as omnichannel_gmv
    from active
    group by 1

),

final as (

    select
        month_start as month,
        buyers,
        online_only_buyers,
        offline_only_buyers,
        omnichannel_buyers,
        {{ safe_divide('omnichannel_buyers', 'buyers') }} as omnichannel_share,
        gmv,
        online_only_gmv,
        offline_only_gmv,
        omnichannel_gmv,
        {{ safe_divide('online_only_gmv', 'online_only_buyers') }} as online_only_gmv_per_buyer,
        {{ safe_divide('offline_only_gmv', 'offline_only_buyers') }} as offline_only_gmv_per_buyer,
        {{ safe_divide('omnichannel_gmv', 'omnichannel_buyers') }} as omnichannel_gmv_per_buyer
    from monthly

)

select * from final
