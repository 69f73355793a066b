{#
    Finer-grained incremental rebuilds for the models that repair old rows when an identity link
    arrives late (int_content_events__resolved, int_order_lines__attributed).

    A late link re-identifies a few events scattered over history: rebuilding every day that
    holds one meant rewriting whole days (a few dozen a run, more the longer the history) to
    change a few dozen rows. These models therefore also key their rows by a bucket, a hash of
    who the row belongs to, and a run replaces only the (day, bucket) groups it touches: its
    window's days whole, and single groups elsewhere. A group is replaced whole, as a day was, so
    the result is still exactly what a full refresh gives.

    `hash_bucket(...)`: the bucket of the given expressions, 0 to 1023. With ~50,000 events a
    day at scale 1 a group holds ~50 of them. Only ever compared with itself on one engine, so
    each engine may use its own hash; but the tables store it, so an engine upgrade that
    changed the hash needs one full refresh (docs/runbook.md, "After upgrading Shopsight").
#}
{% macro hash_bucket() -%}
    {{ return(adapter.dispatch('hash_bucket', 'shopsight')(varargs)) }}
{%- endmacro %}

{% macro default__hash_bucket(expressions) -%}
    cast(hash({{ expressions | join(', ') }}) % 1024 as integer)
{%- endmacro %}

{#
    The config of a model replaced by (day, bucket) groups: `delete+insert` on both keys. Use:
    `config(materialized='incremental', **incremental_by_group('event_date', 'identity_bucket'))`.
#}
{% macro incremental_by_group(date_column, bucket_column) -%}
    {{ return(adapter.dispatch('incremental_by_group', 'shopsight')(date_column, bucket_column)) }}
{%- endmacro %}

{% macro default__incremental_by_group(date_column, bucket_column) -%}
    {{ return(incremental_by_day([date_column, bucket_column])) }}
{%- endmacro %}

{#
    The condition that selects the rows of the groups listed by `groups` (a CTE or relation with
    the columns `date_column` and `bucket_column`). On an engine that can only replace whole days
    (`in_groups` is dispatched), the groups' whole days.
#}
{% macro in_groups(date_column, bucket_column, groups) -%}
    {{ return(adapter.dispatch('in_groups', 'shopsight')(date_column, bucket_column, groups)) }}
{%- endmacro %}

{% macro default__in_groups(date_column, bucket_column, groups) -%}
    ({{ date_column }}, {{ bucket_column }}) in (
        select {{ groups }}.{{ date_column }}, {{ groups }}.{{ bucket_column }} from {{ groups }}
    )
{%- endmacro %}
