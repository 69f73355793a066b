with

brands as (

    select * from {{ ref('stg_reference__brands') }}

),

skus as (

    select
        brand_id,
        count(*) as skus
    from {{ ref('stg_reference__skus') }}
    group by 1

),

final as (

    select
        brands.brand_id,
        brands.brand_name,
        brands.category,
        brands.is_flagship,
        coalesce(skus.skus, 0) as skus
    from brands
    left join skus
        on brands.brand_id = skus.brand_id

)

select * from final
