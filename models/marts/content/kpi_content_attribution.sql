{#
    Sales attributed to content (7-day last touch, see int_order_lines__attributed), per
    business date of the order and content item.
#}

with

lines as (

    select * from {{ ref('int_order_lines__attributed') }}
    where is_attributed

),

final as (

    select
        order_date as date,
        attributed_content_id as content_id,
        attributed_creator_id as creator_id,
        attributed_content_platform as platform,
        count(distinct order_id) as attributed_orders,
        count(*) as attributed_lines,
        sum(quantity) as attributed_units,
        sum(line_amount) as attributed_gmv,
        count(distinct buyer_id) as attributed_buyers
    from lines
    group by 1, 2, 3, 4

)

select * from final
