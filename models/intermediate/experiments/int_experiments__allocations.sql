{#
    The planned split of each experiment: one row per experiment and variant with its weight,
    parsed from the allocation JSON of the experiments snapshot.
#}

with

experiments as (

    select * from {{ ref('stg_reference__experiments') }}

),

weights as (

    {{ json_weights('experiments', ['experiment_id', 'control_variant'], 'allocation_json', 'variant', 'planned_weight') }}

),

allocations as (

    select
        experiment_id,
        variant,
        planned_weight,
        variant = control_variant as is_control
    from weights

)

select * from allocations
