-- One row per experiment, variant and segment (all, new, returning): visitors, converters and
-- conversion; non-control variants against the control of the same segment with 95%
-- intervals and a pooled two-proportion z-test; on `all` rows the sample-ratio check.
with in_window as (
    select
        s.experiment_id,
        s.visitor_id,
        s.session_id,
        s.variant,
        s.buyer_id,
        s.session_start_ts,
        x.start_ts
    from lb_work.sessions as s
    inner join lb_work.experiments as x on s.experiment_id = x.experiment_id
    where s.session_start_ts between x.start_ts and x.end_ts
),

firsts as (
    select *
    from in_window
    qualify row_number() over (
        partition by experiment_id, visitor_id order by session_start_ts, session_id
    ) = 1
),

converted as (
    select distinct w.experiment_id, w.visitor_id
    from in_window as w
    inner join lb_work.orders as o on w.session_id = o.session_id
    where o.online
),

returning_visitors as (
    select distinct f.experiment_id, f.visitor_id
    from firsts as f
    inner join lb_work.orders as o on o.buyer_id = f.buyer_id
    where o.order_ts < f.start_ts and o.order_ts >= f.start_ts - interval 365 day
),

units as (
    select
        f.experiment_id,
        f.variant,
        case when r.visitor_id is null then 'new' else 'returning' end as segment,
        c.visitor_id is not null as converter
    from firsts as f
    left join returning_visitors as r
        on f.experiment_id = r.experiment_id and f.visitor_id = r.visitor_id
    left join converted as c
        on f.experiment_id = c.experiment_id and f.visitor_id = c.visitor_id
),

planned as (
    -- The planned split: one row per variant of the allocation JSON, with its weight.
    select
        experiment_id,
        variant,
        cast(json_extract(allocation, '$."' || variant || '"') as double) as weight
    from (
        select experiment_id, allocation, unnest(json_keys(allocation)) as variant
        from lb_work.experiments
    )
),

grid as (
    -- Every planned (or, should one appear, unplanned) variant in every segment.
    select v.experiment_id, v.variant, g.segment
    from (
        select experiment_id, variant from planned
        union
        select experiment_id, variant from units
    ) as v
    cross join (values ('all'), ('new'), ('returning')) as g(segment)
),

counted as (
    select
        experiment_id,
        variant,
        coalesce(segment, 'all') as segment,
        count(*) as visitors,
        count(*) filter (where converter) as converters
    from units
    group by grouping sets ((experiment_id, variant, segment), (experiment_id, variant))
),

rates as (
    select
        g.experiment_id,
        g.variant,
        g.segment,
        coalesce(c.visitors, 0) as visitors,
        coalesce(c.converters, 0) as converters,
        case when c.visitors > 0 then c.converters / c.visitors end as conversion_rate
    from grid as g
    left join counted as c
        on c.experiment_id = g.experiment_id and c.variant = g.variant and c.segment = g.segment
),

with_control as (
    select
        r.*,
        x.control_variant,
        r.variant = x.control_variant as is_control,
        c.visitors as n_c,
        c.converters as x_c,
        c.conversion_rate as p_c
    from rates as r
    inner join lb_work.experiments as x on r.experiment_id = x.experiment_id
    left join rates as c
        on
            c.experiment_id = r.experiment_id
            and c.segment = r.segment
            and c.variant = x.control_variant
),

lifts as (
    -- Statistics only where they are defined: null for control rows and for empty cells.
    select
        *,
        case when not is_control then conversion_rate - p_c end as abs_lift,
        case when not is_control and p_c > 0 then conversion_rate / p_c - 1 end as rel_lift,
        case when not is_control and visitors > 0 and n_c > 0 then sqrt(
            conversion_rate * (1 - conversion_rate) / visitors + p_c * (1 - p_c) / n_c
        ) end as se_abs,
        case when not is_control and converters > 0 and x_c > 0 then sqrt(
            (1 - conversion_rate) / converters + (1 - p_c) / x_c
        ) end as se_log_ratio,
        case when not is_control and visitors > 0 and n_c > 0 then
            (converters + x_c) / (visitors + n_c)
        end as p_pool
    from with_control
),

tests as (
    select
        *,
        case when p_pool > 0 and p_pool < 1 then
            abs_lift / sqrt(p_pool * (1 - p_pool) * (1 / visitors + 1 / n_c))
        end as z
    from lifts
),

srm as (
    -- Chi-square goodness of fit of visitors per planned variant against the planned weights.
    select
        r.experiment_id,
        sum(power(r.visitors - t.n * p.weight, 2) / nullif(t.n * p.weight, 0)) as chi2,
        count(*) - 1 as dof
    from rates as r
    inner join planned as p on r.experiment_id = p.experiment_id and r.variant = p.variant
    inner join (
        select experiment_id, sum(visitors) as n from rates where segment = 'all' group by 1
    ) as t on r.experiment_id = t.experiment_id
    where r.segment = 'all'
    group by r.experiment_id
)

select
    l.experiment_id,
    l.variant,
    l.segment,
    l.is_control,
    l.visitors,
    l.converters,
    l.conversion_rate,
    l.abs_lift,
    l.abs_lift - 1.959963984540054 * l.se_abs as abs_lift_ci_low,
    l.abs_lift + 1.959963984540054 * l.se_abs as abs_lift_ci_high,
    l.rel_lift,
    case when l.se_log_ratio is not null then
        exp(ln(l.rel_lift + 1) - 1.959963984540054 * l.se_log_ratio) - 1
    end as rel_lift_ci_low,
    case when l.se_log_ratio is not null then
        exp(ln(l.rel_lift + 1) + 1.959963984540054 * l.se_log_ratio) - 1
    end as rel_lift_ci_high,
    lb_erfc(abs(l.z) / sqrt(2)) as p_value,
    case when l.segment = 'all' then lb_chi2_sf(s.chi2, s.dof) end as srm_p_value,
    case when l.segment = 'all' then lb_chi2_sf(s.chi2, s.dof) < 0.001 end as srm_flag
from tests as l
left join srm as s on l.experiment_id = s.experiment_id
