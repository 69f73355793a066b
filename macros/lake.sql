{#
    The Parquet lake hand-off (shopsight/lake.py, docs/spark.md). On DuckDB both hooks do
    nothing: the sources are the warehouse's own `raw` tables and the publish step copies the
    marts. On Spark (macros/cross_db/spark.sql) the first registers the lake's raw folders as
    the `raw.*` source tables, and the second writes the serving extract after a clean build.
#}

{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'shopsight')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}


{% macro write_serving_extract(results) -%}
    {{ return(adapter.dispatch('write_serving_extract', 'shopsight')(results)) }}
{%- endmacro %}

{% macro default__write_serving_extract(results) -%}
{%- endmacro %}
