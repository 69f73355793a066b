{#
    The rows of a reference entity's newest delivery, one per key.

    Reference entities (brands, buyers, skus, ...) are delivered as full snapshots, so only the
    newest delivery date counts: an id missing from it is gone, whatever older snapshots said.
    Within that snapshot a key should appear once; if two rows repeat it, the one further down
    the file wins (then the later file name), which is how the senders append corrections.
    Use it as the first CTE of a reference staging model:

        with latest_snapshot as (
            {{ latest_snapshot(source('reference', 'brands'), 'brand_id') }}
        )
#}
{% macro latest_snapshot(source_relation, key_column) -%}
    select ranked.*
    from (
        select
            delivered.*,
            row_number() over (
                partition by delivered.{{ key_column }}
                order by delivered._row_number desc, delivered._source_file desc
            ) as row_rank
        from {{ source_relation }} as delivered
        where delivered._dt = (select max(newest._dt) from {{ source_relation }} as newest)
    ) as ranked
    where ranked.row_rank = 1
{%- endmacro %}
