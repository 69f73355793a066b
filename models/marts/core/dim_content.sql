{{
    config(
        on_schema_change='fail',
        meta={'test_window_built_at': true},
        **incremental_by_key_of('content_id', 'stg_content__content_items')
    )
}}

{#
    One row per content item, with its creator's kind.

    Incremental by content item (macros/cross_db/incremental_by_key.sql,
    `incremental_by_key_of`): a run rewrites the items stg_content__content_items rewrote since
    this table's last build and those whose creator's kind differs from the newest creators
    snapshot, and deletes the items a re-delivery withdrew. Rebuilding the table each run
    rewrote every item ever published (1.3 million at two years of scale 1) to add a day's.
    A table on Spark, rebuilt whole.
#}

with

creators as (

    select * from {{ ref('stg_reference__creators') }}

),

{% if is_incremental() %}
    touched as (

        select rewritten.content_id
        from {{ ref('stg_content__content_items') }} as rewritten
        where rewritten.built_at > {{ last_built_at() }}

        union

        -- a new creators snapshot may change a creator's kind (a few thousand creators)
        select kept.content_id
        from {{ this }} as kept
        left join creators
            on kept.creator_id = creators.creator_id
        where kept.creator_kind is distinct from creators.kind

    ),
{% endif %}

content as (

    select * from {{ ref('stg_content__content_items') }}
    {% if is_incremental() %}
        where content_id in (select touched.content_id from touched)
    {% endif %}

),

final as (

    select
        content.content_id,
        content.creator_id,
        creators.kind as creator_kind,
        content.brand_id,
        content.content_type,
        content.platform,
        content.published_ts,
        content.published_date,
        content.delivered_on,
        {{ run_timestamp() }} as built_at
    from content
    left join creators
        on content.creator_id = creators.creator_id

)

select * from final
