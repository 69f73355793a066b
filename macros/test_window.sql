{#
    What the data tests of a windowed run look at.

    A daily Dagster run rebuilds about a week of the big incremental models and pins that
    window's first day (`pinned_min_date`). Testing every row of those models again on every run
    made each one-day run cost more as history grew (unique tests alone took ~27 s at two years
    of history, scale 1), although the rows outside the window were tested when they were built
    and have not changed since. So, on a run with a pinned window, a test of a model that
    declares a test window looks only at that window:

    - `meta: {test_window_built_at: true}`: the rows this dbt invocation wrote (`built_at` is
      the invocation's start, see `run_timestamp`), which includes older days an incremental
      model repaired (re-identified visitors) as well as the window itself;
    - `meta: {test_window_date: <date column>}`: the rows dated on or after the window's first
      day.

    Full builds, `--full-refresh` runs and a hand-run `dbt build` / `dbt test` (no `min_date`)
    test every row. A test's own `where` config still applies, combined with `and`.

    dbt wraps the tested model of every generic test in `get_where_subquery`; this project's
    `default__` version takes precedence over dbt's own for every adapter (Spark included).
#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set window = test_window_condition(relation) -%}
    {%- if window -%}
        {%- do conditions.append(window) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#
    The window condition for tests of `relation` on this run, or none: none without a pinned
    window, and none for a model that declares no test window (small models are always tested
    whole).
#}
{% macro test_window_condition(relation) -%}
    {%- set pinned = pinned_min_date() -%}
    {%- if not execute or not pinned or relation.identifier is not defined -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set meta = tested_model_meta(relation) -%}
    {%- if meta.get('test_window_built_at') -%}
        {{ return('built_at = ' ~ run_timestamp()) }}
    {%- elif meta.get('test_window_date') -%}
        {{ return(meta['test_window_date'] ~ " >= cast('" ~ pinned ~ "' as date)") }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{# The `meta` of the model `relation` was built from (empty when it is not a model). #}
{% macro tested_model_meta(relation) -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and (node.alias or node.name) | lower == relation.identifier | lower
        and node.schema | lower == (relation.schema or '') | lower -%}
        {{ return(node.config.get('meta', {}) or {}) }}
    {%- endfor -%}
    {{ return({}) }}
{%- endmacro %}
