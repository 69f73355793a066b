with

latest_snapshot as (

    -- The newest full snapshot, one row per buyer_id (macros/latest_snapshot.sql).
    {{ latest_snapshot(source('reference', 'buyers'), 'buyer_id') }}

),

renamed as (

    select
        -- ids
        buyer_id,

        -- dimensions
        city,
        city_tier,

        -- timestamps
        registered_at,
        {{ business_date('registered_at') }} as registered_date

    from latest_snapshot

)

select * from renamed
