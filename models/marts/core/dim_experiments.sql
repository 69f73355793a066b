with

experiments as (

    select * from {{ ref('stg_reference__experiments') }}

),

allocations as (

    select
        experiment_id,
        count(*) as variants,
        sum(planned_weight) as total_weight
    from {{ ref('int_experiments__allocations') }}
    group by 1

),

final as (

    select
        experiments.experiment_id,
        experiments.experiment_name,
        experiments.control_variant,
        experiments.allocation_json,
        allocations.variants,
        allocations.total_weight,
        experiments.start_ts,
        experiments.end_ts,
        {{ business_date('experiments.start_ts') }} as start_date,
        {{ business_date('experiments.end_ts') }} as end_date
    from experiments
    left join allocations
        on experiments.experiment_id = allocations.experiment_id

)

select * from final
