{#
    A/B test read-out per experiment, variant and segment (all, new, returning).

    Units, variants, segments and converters are defined in int_experiments__units. Against
    the control of the same experiment and segment, each other variant gets:
      abs_lift  rate - control rate, 95% CI from the unpooled normal approximation
      rel_lift  rate / control rate - 1, 95% CI by the delta method on log(rate / control
                rate): se^2 = (1 - p) / x + (1 - p_c) / x_c (x = converters), then exp - 1
      p_value   two-sided pooled two-proportion z-test
    On `all` rows, srm_p_value tests visitors per variant against the planned allocation
    (chi-square goodness of fit, k - 1 degrees of freedom); srm_flag when it is below 0.001.
    Every planned variant has a row in every segment, with 0 visitors when none arrived.
#}

{% set z_975 = '1.959963984540054e0' %}

with

units as (

    select * from {{ ref('int_experiments__units') }}

),

allocations as (

    select * from {{ ref('int_experiments__allocations') }}

),

experiments as (

    select * from {{ ref('stg_reference__experiments') }}

),

segments as (

    select 'all' as segment
    union all
    select 'new' as segment
    union all
    select 'returning' as segment

),

variants as (

    -- Planned variants, plus (defensively) any variant seen in sessions but not planned.
    select
        experiment_id,
        variant
    from allocations
    union
    select
        experiment_id,
        variant
    from units

),

unit_segments as (

    select
        experiment_id,
        variant,
        segment,
        is_converter
    from units
    union all
    select
        experiment_id,
        variant,
        'all' as segment,
        is_converter
    from units

),

counts as (

    select
        experiment_id,
        variant,
        segment,
        count(*) as visitors,
        sum(case when is_converter then 1 else 0 end) as converters
    from unit_segments
    group by 1, 2, 3

),

cells as (

    select
        variants.experiment_id,
        variants.variant,
        segments.segment,
        variants.variant = experiments.control_variant as is_control,
        allocations.planned_weight,
        coalesce(counts.visitors, 0) as visitors,
        coalesce(counts.converters, 0) as converters
    from variants
    cross join segments
    inner join experiments
        on variants.experiment_id = experiments.experiment_id
    left join allocations
        on
            variants.experiment_id = allocations.experiment_id
            and variants.variant = allocations.variant
    left join counts
        on
            variants.experiment_id = counts.experiment_id
            and variants.variant = counts.variant
            and segments.segment = counts.segment

),

with_control as (

    select
        cells.*,
        {{ safe_divide('cells.converters', 'cells.visitors') }} as conversion_rate,
        control.visitors as control_visitors,
        control.converters as control_converters,
        {{ safe_divide('control.converters', 'control.visitors') }} as control_conversion_rate
    from cells
    left join cells as control
        on
            cells.experiment_id = control.experiment_id
            and cells.segment = control.segment
            and control.is_control

),

moments as (

    -- The pieces of each statistic; null for control rows and for empty cells.
    select
        *,
        case when not is_control then conversion_rate - control_conversion_rate end as abs_lift,
        case when not is_control then conversion_rate / nullif(control_conversion_rate, 0) - 1 end
            as rel_lift,
        case
            when not is_control
                then sqrt(
                        conversion_rate * (1 - conversion_rate) / nullif(visitors, 0)
                        + control_conversion_rate * (1 - control_conversion_rate)
                        / nullif(control_visitors, 0)
                    )
        end as abs_lift_se,
        case
            when not is_control and converters > 0 and control_converters > 0
                then sqrt(
                        (1 - conversion_rate) / converters
                        + (1 - control_conversion_rate) / control_converters
                    )
        end as log_ratio_se,
        case
            when not is_control
                then {{ safe_divide('converters + control_converters', 'visitors + control_visitors') }}
        end as pooled_rate
    from with_control

),

tests as (

    select
        *,
        (conversion_rate - control_conversion_rate) / nullif(sqrt(
            pooled_rate * (1 - pooled_rate)
            * (1.0e0 / nullif(visitors, 0) + 1.0e0 / nullif(control_visitors, 0))
        ), 0) as z_statistic
    from moments

),

srm as (

    -- Chi-square goodness of fit of the `all` segment's visitors to the planned weights.
    select
        experiment_id,
        sum(
            (visitors - expected) * (visitors - expected) / nullif(expected, 0)
        ) as srm_chi_square,
        count(*) - 1 as srm_dof
    from (
        select
            experiment_id,
            visitors,
            planned_weight * sum(visitors) over (partition by experiment_id) as expected
        from cells
        where segment = 'all' and planned_weight is not null
    ) as expected_counts
    group by 1

),

final as (

    select
        tests.experiment_id,
        tests.variant,
        tests.segment,
        tests.is_control,
        tests.planned_weight,
        tests.visitors,
        tests.converters,
        tests.conversion_rate,
        tests.control_visitors,
        tests.control_converters,
        tests.control_conversion_rate,
        tests.abs_lift,
        tests.abs_lift - {{ z_975 }} * tests.abs_lift_se as abs_lift_ci_low,
        tests.abs_lift + {{ z_975 }} * tests.abs_lift_se as abs_lift_ci_high,
        tests.rel_lift,
        case
            when tests.log_ratio_se is not null
                then exp(ln(tests.rel_lift + 1) - {{ z_975 }} * tests.log_ratio_se) - 1
        end as rel_lift_ci_low,
        case
            when tests.log_ratio_se is not null
                then exp(ln(tests.rel_lift + 1) + {{ z_975 }} * tests.log_ratio_se) - 1
        end as rel_lift_ci_high,
        tests.z_statistic,
        {{ two_sided_normal_p('tests.z_statistic') }} as p_value,
        case when tests.segment = 'all' then srm.srm_chi_square end as srm_chi_square,
        case
            when tests.segment = 'all'
                then {{ chi_square_sf('srm.srm_chi_square', 'srm.srm_dof') }}
        end as srm_p_value
    from tests
    left join srm
        on tests.experiment_id = srm.experiment_id

),

flagged as (

    select
        *,
        case when segment = 'all' then srm_p_value < 0.001 end as srm_flag
    from final

)

select * from flagged
