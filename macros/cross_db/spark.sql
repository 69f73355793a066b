{#
    Every Spark implementation (`spark__*`) of Shopsight's dispatched macros lives in this file,
    so that what the Spark target needs is in one place. The dispatching macro and its
    `default__`/`duckdb__` versions live beside each other in the other files of this folder.
#}


{#- ---------------------------------------------------------------------------------------- -#}
{#- The lake hand-off (macros/lake.sql)                                                       -#}
{#- ---------------------------------------------------------------------------------------- -#}

{#
    The Spark type of a source column declared with its DuckDB type in the sources YAML
    (`data_type`). Instants are `timestamp` (Spark's instant type); a naive DuckDB TIMESTAMP has
    no faithful Spark equivalent in the lake (it would arrive as timestamp_ntz) and is refused.
#}
{% macro spark_type_of(duckdb_type) -%}
    {%- set t = duckdb_type | lower | trim -%}
    {%- if t in ('varchar', 'text', 'string') -%} string
    {%- elif t in ('timestamptz', 'timestamp with time zone') -%} timestamp
    {%- elif t in ('bigint', 'integer', 'int', 'boolean', 'date', 'double') -%} {{ t }}
    {%- elif t.startswith('decimal') or t.startswith('numeric') -%} {{ t | replace(' ', '') }}
    {%- elif t in ('varchar[]', 'text[]') -%} array<string>
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "no Spark type for the source column type '" ~ duckdb_type ~ "': add it to "
            ~ "spark_type_of in macros/cross_db/spark.sql") }}
    {%- endif -%}
{%- endmacro %}


{#
    The DuckDB types of ingestion's lineage columns (shopsight/contract.py LINEAGE_COLUMNS), for
    source YAML that documents them without a data_type.
#}
{% macro _spark_lineage_types() -%}
    {{ return({'_source_file': 'varchar', '_row_number': 'bigint', '_dt': 'date',
               '_loaded_at': 'timestamptz'}) }}
{%- endmacro %}


{#
    The lake root as an absolute location. Spark stores a table's location as a URI, so a
    relative path (the profile's default `data/lake`) is refused rather than guessed at.
#}
{% macro _spark_lake_root() -%}
    {%- set lake = env_var('SHOPSIGHT_LAKE_DIR', '') | trim -%}
    {%- if not lake or not (lake.startswith('/') or '://' in lake) -%}
        {{ exceptions.raise_compiler_error(
            "SHOPSIGHT_LAKE_DIR must be an absolute path or URI of the Parquet lake (got '"
            ~ lake ~ "'); `shopsight run --engine spark` sets it, see docs/spark.md") }}
    {%- endif -%}
    {{ return(lake.rstrip('/')) }}
{%- endmacro %}


{#
    on-run-start: each `raw` source becomes an external table over its lake folder,
    `<lake>/raw/<table>/_dt=YYYY-MM-DD/*.parquet`, re-created on every run so a moved lake or a
    changed schema is picked up. The column list comes from the sources YAML (so an empty
    entity still has its schema and a file of the wrong type fails loudly); a source with an
    untyped column falls back to Spark's inference from the files. `MSCK REPAIR TABLE` then
    registers the delivery-date partitions, without which a catalog table shows no rows.
#}
{% macro spark__register_lake_sources() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set lake = _spark_lake_root() -%}
    {%- set lineage = _spark_lineage_types() -%}
    {%- set sources = graph.sources.values() | selectattr('schema', 'equalto', 'raw') | list -%}
    {%- if sources -%}
        {%- do run_query('create database if not exists raw') -%}
    {%- endif -%}
    {%- for node in sources -%}
        {%- set relation = 'raw.' ~ node.identifier -%}
        {%- set columns = [] -%}
        {%- set untyped = [] -%}
        {%- for column in node.columns.values() -%}
            {%- set declared = column.data_type or lineage.get(column.name) -%}
            {%- if declared -%}
                {%- do columns.append('`' ~ column.name ~ '` ' ~ spark_type_of(declared)) -%}
            {%- else -%}
                {%- do untyped.append(column.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if '`_dt` date' not in columns -%}
            {%- do columns.append('`_dt` date') -%}
        {%- endif -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- set ddl -%}
            create table {{ relation }}
            {%- if columns and not untyped %} ({{ columns | join(', ') }}){% endif %}
            using parquet
            partitioned by (_dt)
            location '{{ lake }}/raw/{{ node.identifier }}'
        {%- endset -%}
        {%- do run_query(ddl) -%}
        {%- do run_query('msck repair table ' ~ relation) -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}


{#
    on-run-end: after a build in which nothing failed, every mart built by this run is written
    to `<lake>/serving/<mart>/` as Parquet, the extract that DuckDB loads into the serving file
    the dashboard reads (shopsight/spark/serving.py). After a failure nothing is written, so the
    last good extract stays in place.
#}
{% macro spark__write_serving_extract(results) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set bad = results | selectattr('status', 'in', ['error', 'fail', 'runtime error']) | list -%}
    {%- if bad -%}
        {{ log('serving extract not written: ' ~ bad | length ~ ' node(s) failed', info=true) }}
        {{ return('') }}
    {%- endif -%}
    {%- set lake = _spark_lake_root() -%}
    {%- for result in results -%}
        {%- set node = result.node -%}
        {%- if node.resource_type in ('model', 'seed') and node.schema == 'marts'
              and node.config.materialized in ('table', 'incremental', 'seed') -%}
            {%- set sql -%}
                insert overwrite directory '{{ lake }}/serving/{{ node.alias }}'
                using parquet
                select * from {{ node.schema }}.{{ node.alias }}
            {%- endset -%}
            {%- do run_query(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}


{#- ---------------------------------------------------------------------------------------- -#}
{#- Seeds                                                                                      -#}
{#- ---------------------------------------------------------------------------------------- -#}

{#
    dbt-spark's seed loader for the `session` method pastes each value between single quotes
    without escaping, so a value holding a quote ("Singles' Day") breaks the INSERT and an
    empty cell arrives as the string 'None'. This override (a root-project macro of the same
    name wins over the adapter's) writes proper literals: NULL, numbers and booleans bare, and
    everything else as an escaped string literal cast to the column's type.
#}
{% macro _spark_seed_literal(value) -%}
    {%- if value is none -%} null
    {%- elif value is boolean -%} {{ 'true' if value else 'false' }}
    {%- elif value is number -%} {{ value }}
    {%- else -%}
        '{{ (value | string) | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(
                        col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ _spark_seed_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}
                )
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{%- endmacro %}


{#- ---------------------------------------------------------------------------------------- -#}
{#- Incremental models                                                                         -#}
{#- ---------------------------------------------------------------------------------------- -#}

{#
    Spark's Parquet tables have no DELETE, so dbt-spark has no delete+insert. Partitioning the
    table by the day and overwriting the partitions the new rows fall in (dynamic partition
    overwrite) replaces exactly the days that delete+insert on the date key replaces on DuckDB.
#}
{% macro spark__incremental_by_day(date_column) -%}
    {%- set columns = [date_column] if date_column is string else date_column -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': columns,
               'file_format': 'parquet'}) }}
{%- endmacro %}


{#
    Spark keeps the day as its only partition column: a partition per (day, bucket) would mean
    a thousand folders a day. A model replaced by (day, bucket) groups on DuckDB
    (macros/cross_db/incremental_by_group.sql) therefore replaces the groups' whole days here,
    and selects their whole days' rows.
#}
{% macro spark__incremental_by_group(date_column, bucket_column) -%}
    {{ return(spark__incremental_by_day(date_column)) }}
{%- endmacro %}

{% macro spark__in_groups(date_column, bucket_column, groups) -%}
    {{ date_column }} in (select {{ groups }}.{{ date_column }} from {{ groups }})
{%- endmacro %}

{% macro spark__hash_bucket(expressions) -%}
    pmod(hash({{ expressions | join(', ') }}), 1024)
{%- endmacro %}


{#- ---------------------------------------------------------------------------------------- -#}
{#- dbt's own cross-database macros                                                            -#}
{#- ---------------------------------------------------------------------------------------- -#}

{#
    dbt's generic date_spine builds its numbers from eleven self-joins, which Spark takes ~10 s
    to plan; `sequence` + `explode` gives the same days, [start_date, end_date), at once. Other
    date parts keep dbt's generic version.
#}
{% macro spark__date_spine(datepart, start_date, end_date) -%}
    {%- if datepart | lower == 'day' -%}
        select date_day
        from (
            select explode(sequence(
                cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day
            )) as date_day
        ) as spine
        where date_day < cast({{ end_date }} as date)
    {%- else -%}
        {{ return(dbt.default__date_spine(datepart, start_date, end_date)) }}
    {%- endif -%}
{%- endmacro %}


{#- ---------------------------------------------------------------------------------------- -#}
{#- Shopsight's own helpers                                                                    -#}
{#- ---------------------------------------------------------------------------------------- -#}

{#
    Spark has no `timestamp with time zone` type name: its `timestamp` is the instant type.
    dbt's run_started_at renders with a +00:00 offset, which Spark's cast honours.
#}
{% macro spark__run_timestamp() -%}
    cast('{{ run_started_at }}' as timestamp)
{%- endmacro %}


{#- ---------------------------------------------------------------------------------------- -#}
{#- Shopsight's cross-database macros (dispatchers in the other files of this folder)  -#}
{#- ---------------------------------------------------------------------------------------- -#}

{# business_date.sql: see the dispatching macro there. #}
{% macro spark__business_date(column, tz) -%}
    to_date(from_utc_timestamp({{ column }}, '{{ tz }}'))
{%- endmacro %}

{# explode_array.sql: see the dispatching macro there. #}
{% macro spark__explode_array(relation, id_columns, array_column, alias) -%}
    select
        {{ id_columns | join(', ') }},
        exploded.{{ alias }}
    from {{ relation }}
    lateral view explode({{ array_column }}) exploded as {{ alias }}
{%- endmacro %}

{# iso_week.sql: see the dispatching macro there. #}
{% macro spark__iso_week(date_column) -%}
    weekofyear({{ date_column }})
{%- endmacro %}

{# iso_week.sql: see the dispatching macro there. #}
{% macro spark__iso_year(date_column) -%}
    {#- The ISO year is the calendar year of the week's Thursday. -#}
    year(date_add(date_trunc('week', {{ date_column }}), 3))
{%- endmacro %}

{# json_weights.sql: see the dispatching macro there. #}
{% macro spark__json_weights(relation, id_columns, json_column, key_alias, value_alias) -%}
    select
        {{ id_columns | join(', ') }},
        entries.{{ key_alias }},
        entries.{{ value_alias }}
    from {{ relation }}
    lateral view explode(from_json({{ json_column }}, 'map<string,double>'))
        entries as {{ key_alias }}, {{ value_alias }}
{%- endmacro %}

{# minutes_between.sql: see the dispatching macro there. #}
{% macro spark__minutes_between(start_ts, end_ts) -%}
    (unix_micros({{ end_ts }}) - unix_micros({{ start_ts }})) / 6.0e7
{%- endmacro %}

{# percentile_cont.sql: see the dispatching macro there. #}
{% macro spark__percentile_cont(column, fraction) -%}
    percentile({{ column }}, {{ fraction }})
{%- endmacro %}

{# type_double.sql: see the dispatching macro there. #}
{% macro spark__type_double() -%}
    double
{%- endmacro %}


{#- ---------------------------------------------------------------------------------------- -#}
{#- Keyed staging tables (macros/cross_db/incremental_by_key.sql)                             -#}
{#- ---------------------------------------------------------------------------------------- -#}

{% macro spark__incremental_by_key(unique_key, source_name, table_name) -%}
    {{ return({'materialized': 'view'}) }}
{%- endmacro %}

{% macro spark__incremental_by_key_of(unique_key, keyed_model, stale_rows) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}

{% macro spark__incremental_by_buyer_month(orders_model) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}

{% macro spark__incremental_by_account_year() -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}
