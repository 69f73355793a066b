{#
    Wireless against PC, per business date and brand, over counted online orders. Rows exist
    for each date and brand with at least one counted online order.
#}

with

online_orders as (

    select * from {{ ref('int_orders__counted') }}
    where is_online

),

brands as (

    select * from {{ ref('stg_reference__brands') }}

),

daily as (

    select
        order_date,
        brand_id,
        sum(order_amount) as online_gmv,
        sum(case when terminal_group = 'wireless' then order_amount else 0 end) as wireless_gmv,
        sum(case when terminal_group = 'pc' then order_amount else 0 end) as pc_gmv,
        count(*) as online_orders,
        sum(case when terminal_group = 'wireless' then 1 else 0 end) as wireless_orders,
        sum(case when terminal_group = 'pc' then 1 else 0 end) as pc_orders,
        count(distinct buyer_id) as online_buyers,
        count(distinct case when terminal_group = 'wireless' then buyer_id end) as wireless_buyers,
        count(distinct case when terminal_group = 'pc' then buyer_id end) as pc_buyers
    from online_orders
    group by 1, 2

),

final as (

    select
        daily.order_date as date,
        daily.brand_id,
        brands.category,
        daily.online_gmv,
        daily.wireless_gmv,
        daily.pc_gmv,
        {{ safe_divide('daily.wireless_gmv', 'daily.online_gmv') }} as mobile_gmv_share,
        daily.online_orders,
        daily.wireless_orders,
        daily.pc_orders,
        {{ safe_divide('daily.wireless_orders', 'daily.online_orders') }} as mobile_order_share,
        daily.online_buyers,
        daily.wireless_buyers,
        daily.pc_buyers,
        {{ safe_divide('daily.wireless_buyers', 'daily.online_buyers') }} as mobile_buyer_share
    from daily
    left join brands
        on daily.brand_id = brands.brand_id

)

select * from final
