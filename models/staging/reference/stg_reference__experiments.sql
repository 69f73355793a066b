with

latest_snapshot as (

    -- The newest full snapshot, one row per experiment_id (macros/latest_snapshot.sql).
    {{ latest_snapshot(source('reference', 'experiments'), 'experiment_id') }}

),

renamed as (

    select
        -- ids
        experiment_id,

        -- dimensions
        experiment_name,
        control_variant,
        allocation as allocation_json,

        -- timestamps
        start_ts,
        end_ts

    from latest_snapshot

)

select * from renamed
